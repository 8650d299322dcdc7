import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, sgd, train, type Model } from '@bonsai/core';
import { DependencyGraph, modelStats, type Group } from '@bonsai/graph';
import { magnitude, Pruner } from '@bonsai/prune';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLayersArtifacts, toLayersArtifacts } from '../src/index';
import { efficientNetLite, mobileNetV2, realisticWeights } from './keras-apps';
import { loadWithTfjs, maxAbsDiff, tfjsArtifacts, tfjsPredict } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

interface App {
  name: string;
  make: () => tfl.LayersModel;
  /** The penultimate layer: compared too, since a softmax output hides differences. */
  features: string;
  /** The conv whose channels the features are. */
  featuresRoot: string;
  /** Layer classes the app must contain (proves the test covers them). */
  classes: string[];
}

const apps: App[] = [
  { name: 'MobileNetV2 (alpha 0.35, 64x64)', make: () => mobileNetV2({ size: 64, alpha: 0.35 }), features: 'out_relu', featuresRoot: 'Conv_1', classes: ['ZeroPadding2D', 'ReLU', 'DepthwiseConv2D', 'BatchNormalization', 'Add'] },
  { name: 'EfficientNet-style (squeeze-and-excite, swish)', make: () => efficientNetLite({ size: 48 }), features: 'top_activation', featuresRoot: 'top_conv', classes: ['Rescaling', 'Multiply', 'Reshape', 'GlobalAveragePooling2D', 'Activation'] },
];

const ZEROED = new Set(['kernel', 'bias', 'beta', 'movingMean']);

/** Makes a group's channels exactly 0 without removing them (producers' out-channel weights, BN beta and mean). */
function zeroChannels(model: Model, group: Group): void {
  for (const m of group.members()) {
    if (m.side !== 'out' || !ZEROED.has(m.role)) continue;
    const p = model.params.get(m.name)!;
    const keep = new Float32Array(p.shape[m.axis]!).fill(1);
    for (const i of m.indices) keep[i] = 0;
    tf.tidy(() => p.assign(tf.mul(p.value, tf.reshape(tf.tensor1d(keep), p.shape.map((d, i) => (i === m.axis ? d : 1))))));
  }
}

/** Every other unit of a group, within its budget. */
function everyOther(group: Group): Group {
  const budget = group.budget();
  for (let i = 0; i < group.size; i += 2) budget.tryAdd(i);
  return budget.finish();
}

/** Bonsai's output and captured features vs the same from stock tfjs-layers. */
function features(model: Model, id: string, x: tf.Tensor): tf.Tensor[] {
  const r = model.run(x, { capture: [id] });
  return [r.output, r.captured[id]!];
}

describe('Keras-application-shaped models: exact import, export and pruning through the imported graph', () => {
  for (const [i, app] of apps.entries()) {
    it(`${app.name}: import matches stock tfjs-layers; dense export loads in stock tfjs`, async () => {
      const keras = app.make();
      realisticWeights(keras, 500 + i);
      const kerasClasses = new Set(keras.layers.map((l) => l.getClassName()));
      for (const c of app.classes) expect(kerasClasses).toContain(c);
      const x = tf.randomUniform([2, ...(keras.inputs[0]!.shape.slice(1) as number[])], 0, 1, 'float32', 11);
      const sub = tfl.model({ inputs: keras.inputs, outputs: keras.getLayer(app.features).output as tfl.SymbolicTensor });
      const [ref, refFeat] = [tfjsPredict(keras, x), tfjsPredict(sub, x)];
      const before = tf.memory().numTensors;
      const model = importLayersArtifacts(await tfjsArtifacts(keras));
      const [y, feat] = features(model, app.features, x);
      expect(maxAbsDiff(y!, ref)).toBeLessThan(1e-5);
      expect(maxAbsDiff(feat!, refFeat)).toBeLessThan(1e-4 * Math.max(1, tf.tidy(() => tf.max(tf.abs(refFeat)).dataSync()[0]!)));
      const back = await loadWithTfjs(await toLayersArtifacts(model));
      const yBack = tfjsPredict(back, x);
      expect(maxAbsDiff(yBack, y!)).toBeLessThan(1e-5);
      // The export has the original's structure: the same layers, classes and activations.
      const shape = (m: tfl.LayersModel) => m.layers.map((l) => `${l.name}:${l.getClassName()}:${String((l.getConfig() as { activation?: string }).activation ?? '')}`);
      expect(shape(back)).toEqual(shape(keras));
      // Deployment export: BN folded into the convs; no BN layer left, same outputs.
      const folded = await loadWithTfjs(await toLayersArtifacts(model, { foldBatchNorm: true }));
      expect(folded.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(false);
      const yFolded = tfjsPredict(folded, x);
      expect(maxAbsDiff(yFolded, y!)).toBeLessThan(1e-4);
      [y!, feat!, yBack, yFolded].forEach((t) => t.dispose());
      [back, folded].forEach((m) => m.dispose());
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      [x, ref, refFeat].forEach((t) => t.dispose());
      keras.dispose();
    });

    it(`${app.name}: pruning zeroed channels through the imported graph leaves outputs unchanged`, async () => {
      const keras = app.make();
      realisticWeights(keras, 600 + i);
      const model = importLayersArtifacts(await tfjsArtifacts(keras));
      keras.dispose();
      const x = tf.randomUniform([2, ...model.graph.shape(model.graph.inputs[0]!)], 0, 1, 'float32', 12);
      const stats = modelStats(model);
      const dg = DependencyGraph.build(model);
      const groups = [...dg.groups()];
      expect(groups.length).toBeGreaterThan(5);
      const picks = groups.map(everyOther).filter((g) => g.size > 0);
      for (const p of picks) zeroChannels(model, p);
      const [y0, f0] = features(model, app.features, x);
      const removed = new Set(picks.find((p) => p.root === app.featuresRoot)!.idxs);
      dg.prune(picks);
      const [y1, f1] = features(model, app.features, x);
      expect(maxAbsDiff(y0!, y1!)).toBeLessThan(1e-5);
      expect(f1!.shape[3]).toBeLessThan(f0!.shape[3]!); // the features really lost channels
      const keptIdx = [...Array(f0!.shape[3]).keys()].filter((c) => !removed.has(c));
      const kept = tf.tidy(() => tf.gather(f0!, tf.tensor1d(keptIdx, 'int32'), 3));
      expect(maxAbsDiff(kept, f1!)).toBeLessThan(1e-5);
      expect(modelStats(model).macs).toBeLessThan(stats.macs * 0.7);
      [x, y0!, f0!, y1!, f1!, kept].forEach((t) => t.dispose());
      model.dispose();
    });

    it(`${app.name}: 50% structured pruning (Pruner, L2 magnitude) exports to a model stock tfjs loads with equal outputs`, async () => {
      const keras = app.make();
      realisticWeights(keras, 700 + i);
      const model = importLayersArtifacts(await tfjsArtifacts(keras));
      keras.dispose();
      const before = modelStats(model);
      const pruner = new Pruner(model, { importance: magnitude({ p: 2 }), ratio: 0.5 });
      expect(pruner.step()).toBe(true);
      const after = modelStats(model);
      expect(after.params).toBeLessThan(before.params * 0.6);
      const x = tf.randomUniform([2, ...model.graph.shape(model.graph.inputs[0]!)], 0, 1, 'float32', 13);
      const y = model.predict(x);
      const back = await loadWithTfjs(await toLayersArtifacts(model));
      const yBack = tfjsPredict(back, x);
      expect(maxAbsDiff(yBack, y)).toBeLessThan(1e-4);
      [x, y, yBack].forEach((t) => t.dispose());
      back.dispose();
      model.dispose();
    });
  }
});


describe('LayerNormalization inside a pruned group', () => {
  it('slices gamma/beta with the channels; the pruned export loads in stock tfjs with equal outputs', async () => {
    const x = tfl.input({ shape: [6, 6, 3], name: 'x' });
    let h = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv' }).apply(x) as tfl.SymbolicTensor;
    h = tfl.layers.layerNormalization({ name: 'ln' }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.activation({ activation: 'swish', name: 'act' }).apply(h) as tfl.SymbolicTensor;
    const y = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'head' }).apply(h) as tfl.SymbolicTensor;
    const keras = tfl.model({ inputs: x, outputs: y });
    realisticWeights(keras, 5);
    const model = importLayersArtifacts(await tfjsArtifacts(keras));
    keras.dispose();
    const dg = DependencyGraph.build(model);
    const group = [...dg.groups()].find((g) => g.root === 'conv')!;
    expect(group.members().some((m) => m.node === 'ln' && m.role === 'gamma')).toBe(true);
    dg.prune(group.select([1, 4, 6]));
    expect(model.param('ln', 'gamma')!.shape).toEqual([5]);
    const input = tf.randomUniform([2, 6, 6, 3], -1, 1, 'float32', 6);
    const ours = model.predict(input);
    const back = await loadWithTfjs(await toLayersArtifacts(model));
    const theirs = tfjsPredict(back, input);
    expect(maxAbsDiff(theirs, ours)).toBeLessThan(1e-4);
    // Note: unlike BN, LN normalizes over the channels, so removing even all-zero channels changes
    // its statistics: pruning through it is structural (Torch-Pruning does the same), not exact.
    [input, ours, theirs].forEach((t) => t.dispose());
    back.dispose();
    model.dispose();
  });
});

describe('training an imported model', () => {
  it('trains the EfficientNet-style net on wasm (swish, SE Multiply, pad2d, depthwise); trainable: false layers stay frozen', async () => {
    const keras = efficientNetLite({ size: 32 });
    realisticWeights(keras, 9);
    keras.getLayer('stem_conv').trainable = false;
    const model = importLayersArtifacts(await tfjsArtifacts(keras));
    keras.dispose();
    expect(model.param('stem_conv', 'kernel')!.trainable).toBe(false);
    const frozen = model.param('stem_conv', 'kernel')!.value.dataSync().slice();
    const moving = model.param('block2a_se_reduce', 'kernel')!.value.dataSync().slice();
    const x = tf.randomUniform([4, 32, 32, 3], 0, 255, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 3, 5, 9], 'int32'), 10);
    const history = await train(model, { x, y }, { loss: 'mse', optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 2 });
    expect(history.steps).toBe(2);
    expect(history.epochLosses.every((l) => Number.isFinite(l))).toBe(true);
    expect(Array.from(model.param('stem_conv', 'kernel')!.value.dataSync())).toEqual(Array.from(frozen));
    const after = model.param('block2a_se_reduce', 'kernel')!.value.dataSync();
    expect(after.some((v, i) => v !== moving[i])).toBe(true);
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });
});
