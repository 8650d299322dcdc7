import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-converter';
import type { Model } from '@bonsai/core';
import type { DependencyGraph, Group } from '@bonsai/graph';
import type { GraphModelArtifacts } from '../src/index';

/** Folder of the vendored real GraphModels. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'graph-model');

/** The vendored real models: folder, model.json file name, per-sample input shape. */
export const REAL_MODELS = {
  emotion: { file: join(FIXTURES, 'emotion', 'model.json'), input: [64, 64, 1] },
  facemesh: { file: join(FIXTURES, 'facemesh', 'model.json'), input: [192, 192, 3] },
  handlandmark: { file: join(FIXTURES, 'handlandmark-lite', 'model.json'), input: [224, 224, 3] },
} as const;

/** Reads a model.json and its weight files into artifacts (without Bonsai). */
export async function readArtifacts(file: string): Promise<GraphModelArtifacts & { modelJson: Record<string, unknown> }> {
  const modelJson = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { weightsManifest: Array<{ paths: string[] }> };
  const parts = await Promise.all(modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dirname(file), p))));
  const weights = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    weights.set(p, o);
    o += p.byteLength;
  }
  return { modelJson, weights: weights.buffer };
}

/** Loads GraphModel artifacts with stock `@tensorflow/tfjs-converter` through a custom IOHandler. */
export async function loadStockGraphModel(art: GraphModelArtifacts): Promise<tfc.GraphModel> {
  const json = (typeof art.modelJson === 'string' ? JSON.parse(art.modelJson) : art.modelJson) as Record<string, unknown> & {
    modelTopology: object;
    weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }>;
  };
  const w = art.weights;
  const weightData = w instanceof ArrayBuffer ? w : (w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      format: 'graph-model',
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData,
      ...(json.signature === undefined ? {} : { signature: json.signature as object }),
      ...(json.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: json.userDefinedMetadata as Record<string, object> }),
    }),
  };
  return tfc.loadGraphModel(handler);
}

/** Runs a stock GraphModel and returns its outputs (as an array) for `names`. */
export function stockExecute(model: tfc.GraphModel, x: tf.Tensor, names: readonly string[]): tf.Tensor[] {
  const y = model.execute(x, [...names]);
  return Array.isArray(y) ? y : [y];
}

/** A deterministic input in [0, 1). */
export function seededInput(shape: readonly number[], seed = 7): tf.Tensor {
  return tf.randomUniform([1, ...shape], 0, 1, 'float32', seed);
}

/**
 * A real photo as a model input: `samples-224.rgb` (a 224x224 RGB center crop of
 * `assets/samples.jpg` from @vladmandic/human 3.3.6) scaled to [0, 1], resized to `shape` [h, w, c]
 * (bilinear) and averaged to gray when c = 1.
 */
export async function photoInput(shape: readonly number[]): Promise<tf.Tensor> {
  const raw = await readFile(join(FIXTURES, 'samples-224.rgb'));
  return tf.tidy(() => {
    const rgb = tf.div(tf.tensor4d(Float32Array.from(raw), [1, 224, 224, 3]), 255) as tf.Tensor4D;
    const sized = tf.image.resizeBilinear(rgb, [shape[0]!, shape[1]!]);
    return shape[2] === 1 ? tf.mean(sized, -1, true) : sized;
  });
}

const ZEROED = new Set(['kernel', 'bias', 'beta', 'movingMean', 'value']);

/** Makes a group's channels exactly 0 without removing them (producers' out-channel kernels, biases, BN shifts, added constants). */
export function zeroGroup(model: Model, group: Group): void {
  for (const m of group.members()) {
    if (m.side !== 'out' || !ZEROED.has(m.role)) continue;
    const p = model.params.get(m.name)!;
    const keep = new Float32Array(p.shape[m.axis]!).fill(1);
    for (const i of m.indices) keep[i] = 0;
    tf.tidy(() => p.assign(tf.mul(p.value, tf.reshape(tf.tensor1d(keep), p.shape.map((d, i) => (i === m.axis ? d : 1))))));
  }
}

/** Every other unit of every prunable group (as far as each group's budget allows), the groups the graph accepts. */
export function everyOtherUnit(dg: DependencyGraph): Group[] {
  return [...dg.groups()]
    .map((g) => {
      const budget = g.budget();
      for (let i = 0; i < g.size; i += 2) budget.tryAdd(i);
      return budget.finish();
    })
    .filter((p) => p.size > 0 && dg.check(p));
}
