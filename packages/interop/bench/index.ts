/**
 * @bonsai/interop benchmark: import/export times, file sizes per weight encoding, and output
 * agreement with stock tfjs-layers, measured side by side in one run.
 * Writes bench-results/interop.json. Run: pnpm --filter @bonsai/interop... build && pnpm --filter @bonsai/interop bench
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@bonsai/core';
import { importLayersArtifacts, toLayersArtifacts, type LayersModelArtifacts } from '@bonsai/interop';
import { createReport, median, pick, type Cell } from '@bonsai/bench-harness';

async function time(fn: () => Promise<unknown> | unknown, runs = pick(7, 2)): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

async function save(model: tfl.LayersModel): Promise<LayersModelArtifacts> {
  let out: LayersModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      out = {
        modelJson: { modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] },
        weights: tf.io.CompositeArrayBuffer.join(a.weightData!),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

async function loadStock(art: LayersModelArtifacts): Promise<tfl.LayersModel> {
  const j = art.modelJson as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  return tfl.loadLayersModel({ load: async () => ({ modelTopology: j.modelTopology, weightSpecs: j.weightsManifest.flatMap((g) => g.weights), weightData: art.weights as ArrayBuffer }) });
}

function cnn(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn1' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(tfl.layers.separableConv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', name: 's2' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p2' }));
  m.add(tfl.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c3' }));
  m.add(tfl.layers.flatten({ name: 'f' }));
  m.add(tfl.layers.dense({ units: 128, activation: 'relu', name: 'fc1' }));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax', name: 'fc2' }));
  return m;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const keras = cnn();
  const x = tf.randomUniform([32, 28, 28, 1], 0, 1, 'float32', 1);
  const ref = keras.predict(x) as tf.Tensor;
  const art = await save(keras);
  const report = createReport({ bench: 'interop', settings: { model: 'tfjs-layers CNN: conv32-bn-pool-sepconv64-pool-conv128-dense128-dense10, 28x28x1', batch: 32 } });
  const importMs = await time(() => importLayersArtifacts(art).dispose());
  const bonsai = importLayersArtifacts(art);
  const y = bonsai.predict(x);
  const diff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  const argmaxAgree = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1)), 'float32')).dataSync()[0]!);

  report.note(`Imported tfjs-layers CNN (${art.weights.byteLength} weight bytes) in ${importMs.toFixed(1)} ms (median of ${pick(7, 2)}); max |Bonsai - tfjs| = ${diff(y, ref).toExponential(2)}`);
  const rows: Cell[][] = [];
  for (const quantize of [undefined, 'float16', 'uint16', 'uint8'] as const) {
    const ms = await time(() => toLayersArtifacts(bonsai, { quantize }), pick(5, 1));
    const out = await toLayersArtifacts(bonsai, { quantize });
    const stock = await loadStock(out);
    const ys = stock.predict(x) as tf.Tensor;
    rows.push([quantize ?? 'float32', out.weights.byteLength, `${(art.weights.byteLength / out.weights.byteLength).toFixed(2)}x`, ms.toFixed(1), diff(ys, y).toExponential(2), `${(argmaxAgree(ys, y) * 100).toFixed(1)}%`]);
    ys.dispose();
    stock.dispose();
  }
  report.table('export', {
    title: 'LayersModel export per weight encoding, reloaded with stock tfjs-layers',
    columns: ['export', 'weights bytes', 'size ratio', 'export ms', 'max abs diff (stock tfjs vs Bonsai)', 'top-1 agreement'],
    rows,
    note: 'Note: quantized weights shrink the file only; the wasm backend dequantizes to float32 at load, so latency is unchanged.',
  });
  [x, ref, y].forEach((t) => t.dispose());
  bonsai.dispose();
  keras.dispose();
  report.write();
}

await main();
await (await import('./layers-models')).layersModelsBench();
await (await import('./graph-model')).graphModelBench();
