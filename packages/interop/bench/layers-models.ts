/**
 * Keras-application-shaped LayersModels (built with stock tfjs-layers, see test/keras-apps.ts):
 * import time, output Δ vs stock tfjs, params / MACs before and after 50% structured pruning,
 * and stock-tfjs wasm latency (batch 1, interleaved rounds, medians) of the original model vs
 * the exported dense model vs the exported 50%-pruned model. Writes bench-results/layers-models.json.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type Model } from '@bonsai/core';
import { modelStats } from '@bonsai/graph';
import { importLayersArtifacts, toLayersArtifacts, type ExportOptions } from '@bonsai/interop';
import { magnitude, Pruner } from '@bonsai/prune';
import { createReport, interleave, median, ms, num, pick, ratio, spread, type Cell } from '@bonsai/bench-harness';
import { efficientNetLite, mobileNetV2, realisticWeights } from '../test/keras-apps';
import { loadWithTfjs, tfjsArtifacts } from '../test/tfjs-io';

interface Subject {
  name: string;
  make: () => tfl.LayersModel;
  /** The pooled features before the classifier: compared too, since a 1000-way softmax hides differences. */
  features: string;
}

const subjects: Subject[] = pick(
  [
    { name: 'MobileNetV2 1.0, 224x224', make: () => mobileNetV2({ size: 224, alpha: 1, classes: 1000 }), features: 'global_average_pooling2d' },
    { name: 'MobileNetV2 0.35, 96x96', make: () => mobileNetV2({ size: 96, alpha: 0.35, classes: 1000 }), features: 'global_average_pooling2d' },
    { name: 'EfficientNet-style SE net, 96x96', make: () => efficientNetLite({ size: 96, width: 1, classes: 1000 }), features: 'avg_pool' },
  ],
  [{ name: 'MobileNetV2 0.35, 64x64', make: () => mobileNetV2({ size: 64, alpha: 0.35 }), features: 'global_average_pooling2d' }],
);

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** max |Δ| of the softmax outputs and max |Δ| / max |features| of the pooled features: stock tfjs model vs Bonsai. */
function agreement(stock: tfl.LayersModel, model: Model, layer: string, x: tf.Tensor): string {
  const sub = tfl.model({ inputs: stock.inputs, outputs: stock.getLayer(layer).output as tfl.SymbolicTensor });
  const [y, f] = [stock.predict(x) as tf.Tensor, sub.predict(x) as tf.Tensor];
  const r = model.run(x, { capture: [layer] });
  const out = `${maxDiff(y, r.output).toExponential(1)} / ${(maxDiff(f, r.captured[layer]!) / tf.tidy(() => tf.max(tf.abs(f)).dataSync()[0]!)).toExponential(1)}`;
  [y, f, r.output, r.captured[layer]!].forEach((t) => t.dispose());
  return out;
}

function predictOnce(m: tfl.LayersModel, x: tf.Tensor): void {
  const y = m.predict(x) as tf.Tensor;
  y.dataSync();
  y.dispose();
}

const FOLDED: ExportOptions = { foldBatchNorm: true };

/**
 * The same exported MobileNetV2 with its relu6 layers written as Bonsai writes them
 * (`ReLU{max_value: 6}`) and as Bonsai wrote them before (`Activation('relu6')`, which stock tfjs
 * runs as minimum(6, relu(x))), timed interleaved in stock tfjs.
 */
async function relu6Encodings(): Promise<{ title: string; columns: string[]; rows: Cell[][] }> {
  const keras = mobileNetV2({ size: pick(96, 64), alpha: 0.35, classes: 1000 });
  realisticWeights(keras, 950);
  const model = importLayersArtifacts(await tfjsArtifacts(keras));
  keras.dispose();
  const art = await toLayersArtifacts(model);
  const asActivation = structuredClone(art.modelJson);
  let swapped = 0;
  for (const l of asActivation.modelTopology.config.layers as Array<{ class_name: string; config: Record<string, unknown> }>) {
    if (l.class_name !== 'ReLU' || l.config.max_value !== 6) continue;
    l.class_name = 'Activation';
    l.config = { name: l.config.name, trainable: l.config.trainable, activation: 'relu6' };
    swapped++;
  }
  const relu = await loadWithTfjs(art);
  const act = await loadWithTfjs({ modelJson: asActivation, weights: art.weights });
  const x = tf.randomUniform([1, ...model.graph.shape(model.graph.inputs[0]!)], 0, 1, 'float32', 23);
  const t = await interleave({ relu: () => predictOnce(relu, x), activation: () => predictOnce(act, x) }, { warmup: pick(3, 1), runs: pick(61, 3) });
  const same = tf.tidy(() => maxDiff(relu.predict(x) as tf.Tensor, act.predict(x) as tf.Tensor));
  x.dispose();
  [relu, act].forEach((m) => m.dispose());
  model.dispose();
  return {
    title: `relu6 encodings of the exported MobileNetV2 0.35 (${swapped} relu6 layers), stock tfjs wasm, batch 1; outputs differ by ${same.toExponential(1)}`,
    columns: ['encoding', 'median ms', 'speedup vs Activation(relu6)'],
    rows: [
      ['ReLU{max_value: 6} (Bonsai export)', ms(t.variants.relu.median), spread(t.ratio('activation', 'relu'))],
      ["Activation('relu6')", ms(t.variants.activation.median), ''],
    ],
  };
}

/** Runs the bench. */
export async function layersModelsBench(): Promise<void> {
  await initBackend('wasm');
  const report = createReport({ bench: 'layers-models', settings: { batch: 1, backend: 'wasm', pruning: 'Pruner ratio 0.5, L2 magnitude, local', weights: 'seeded, trained-network statistics (realisticWeights)', folded: FOLDED } });
  const accuracy: Cell[][] = [];
  const size: Cell[][] = [];
  const latency: Cell[][] = [];
  for (const [i, s] of subjects.entries()) {
    const original = s.make();
    realisticWeights(original, 900 + i);
    const art = await tfjsArtifacts(original);
    const importMs: number[] = [];
    for (let k = 0; k < pick(5, 1); k++) {
      const t0 = performance.now();
      importLayersArtifacts(art).dispose();
      importMs.push(performance.now() - t0);
    }
    const model = importLayersArtifacts(art);
    const shape = model.graph.shape(model.graph.inputs[0]!);
    const xs = tf.randomUniform([4, ...shape], 0, 1, 'float32', 21);
    const importDiff = agreement(original, model, s.features, xs);
    const dense = await loadWithTfjs(await toLayersArtifacts(model));
    const denseDiff = agreement(dense, model, s.features, xs);
    const folded = await loadWithTfjs(await toLayersArtifacts(model, FOLDED));
    const foldedDiff = agreement(folded, model, s.features, xs);

    const before = modelStats(model);
    new Pruner(model, { importance: magnitude({ p: 2 }), ratio: 0.5 }).step();
    const after = modelStats(model);
    const pruned = await loadWithTfjs(await toLayersArtifacts(model, FOLDED));
    const prunedDiff = agreement(pruned, model, s.features, xs);

    const x1 = tf.randomUniform([1, ...shape], 0, 1, 'float32', 22);
    const t = await interleave(
      { original: () => predictOnce(original, x1), dense: () => predictOnce(dense, x1), folded: () => predictOnce(folded, x1), pruned: () => predictOnce(pruned, x1) },
      { warmup: pick(3, 1), runs: pick(i === 0 ? 31 : 61, 3) },
    );
    accuracy.push([s.name, ms(median(importMs)), importDiff, denseDiff, foldedDiff, prunedDiff]);
    size.push([s.name, num(before.params), num(after.params), ratio(after.params / before.params), num(before.macs), num(after.macs), ratio(after.macs / before.macs)]);
    latency.push([
      s.name,
      ms(t.variants.original.median),
      ms(t.variants.dense.median),
      ms(t.variants.folded.median),
      ms(t.variants.pruned.median),
      spread(t.ratio('original', 'dense')),
      spread(t.ratio('original', 'folded')),
      spread(t.ratio('original', 'pruned')),
    ]);
    [xs, x1].forEach((v) => v.dispose());
    [original, dense, folded, pruned].forEach((m) => m.dispose());
    model.dispose();
  }
  report.table('relu6', await relu6Encodings());
  report.table('accuracy', {
    title: 'Import and export vs stock tfjs-layers (batch 4; max |Δ| of the softmax outputs / max |Δ| of the pooled features relative to their max)',
    columns: ['model', 'import ms (median)', 'Bonsai vs stock original', 'stock exported dense vs Bonsai', 'stock exported dense, BN folded vs Bonsai', 'stock exported 50%-pruned (BN folded) vs Bonsai pruned'],
    rows: accuracy,
  });
  report.table('size', {
    title: 'Params and MACs before / after 50% structured pruning',
    columns: ['model', 'params', 'params pruned', 'ratio', 'MACs', 'MACs pruned', 'ratio'],
    rows: size,
  });
  report.table('latency', {
    title: 'Stock tfjs-layers wasm latency, batch 1 (interleaved rounds; speedup = original ÷ variant, median and IQR of paired rounds)',
    columns: ['model', 'original ms', 'exported dense ms', 'dense, BN folded ms', '50% pruned, BN folded ms', 'dense speedup', 'folded speedup', 'pruned speedup'],
    note: 'The exported dense file has exactly the original layers, classes and activations (test/keras-apps.test.ts), so its ratio is 1.0 up to timing noise; this 2-core machine was shared by several jobs while it ran (absolute times vary 2x between runs; the paired ratios much less).',
    rows: latency,
  });
  report.write();
}

if (import.meta.url === `file://${process.argv[1]}`) await layersModelsBench();
