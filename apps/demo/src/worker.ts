/// <reference lib="webworker" />
/**
 * The demo's compute worker: wasm backend, MNIST, training, compression, measurement and
 * prediction all run here so the page stays responsive. One request at a time, in order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam, fromArtifacts, train, type BackendInfo, type Model, type ModelJSON } from '@bonsai/core';
import { accuracy, countNonZero } from '@bonsai/eval';
import { DEFAULT_ARCH, demoCnn, type Arch } from './cnn';
import { initWasm } from './backend';
import { fetchDigits, toTensors, type Digits } from './data';
import { layerRows, measure, modelFiles, pairedLatency, point } from './metrics';
import { BATCH_SIZE, METHODS, methodById, type MethodContext, type Tensors } from './methods/index';
import type { CurvePoint, DownloadFile, MethodId, Metrics, Request, Response } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

/** Ratios of the one-shot sweep (no fine-tuning) drawn as a curve. */
const SWEEP = [0.1, 0.3, 0.5, 0.7, 0.9];

interface State {
  backend?: BackendInfo;
  trainDigits?: Digits;
  testDigits?: Digits;
  test?: Tensors;
  train?: Tensors;
  dense?: Model;
  denseMetrics?: Metrics;
  arch: Arch;
  compressed?: Model;
  files?: DownloadFile[];
  sweeps: Map<string, CurvePoint[]>;
}

const state: State = { arch: DEFAULT_ARCH, sweeps: new Map() };

function post(msg: Response, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function progress(task: string, text: string, fraction: number): void {
  post({ type: 'progress', task, text, fraction });
}

function disposeTensors(t: Tensors | undefined): void {
  t?.x.dispose();
  t?.y.dispose();
}

function setDense(model: Model, arch: Arch): void {
  state.dense?.dispose();
  state.compressed?.dispose();
  state.compressed = undefined;
  state.files = undefined;
  state.dense = model;
  state.arch = arch;
  state.sweeps.clear();
}

async function init(assetBase: string): Promise<void> {
  progress('init', 'starting the wasm backend', 0);
  state.backend = await initWasm();
  progress('init', 'loading MNIST', 0.5);
  const [trainDigits, testDigits] = await Promise.all([
    fetchDigits(new URL('mnist-train.bin', assetBase).href),
    fetchDigits(new URL('mnist-test.bin', assetBase).href),
  ]);
  state.trainDigits = trainDigits;
  state.testDigits = testDigits;
  state.test = toTensors(testDigits);
  post({ type: 'ready', backend: state.backend, methods: METHODS.map((m) => m.info), trainCount: trainDigits.count, testCount: testDigits.count });
}

function requireData(): { trainDigits: Digits; test: Tensors } {
  if (!state.trainDigits || !state.test) throw new Error('the worker is not initialized');
  return { trainDigits: state.trainDigits, test: state.test };
}

function requireDense(): { dense: Model; metrics: Metrics } {
  if (!state.dense || !state.denseMetrics) throw new Error('train or load a model first');
  return { dense: state.dense, metrics: state.denseMetrics };
}

async function announceDense(source: 'trained' | 'loaded'): Promise<void> {
  const { test } = requireData();
  const dense = state.dense!;
  progress(source === 'trained' ? 'train' : 'load', 'measuring accuracy, size and latency', 0.97);
  state.denseMetrics = await measure(dense, test);
  post({ type: 'model', metrics: state.denseMetrics, layers: layerRows(dense, dense), source });
}

async function trainDense(epochs: number, trainSize: number): Promise<void> {
  const { trainDigits } = requireData();
  disposeTensors(state.train);
  state.train = toTensors(trainDigits, trainSize);
  const model = demoCnn();
  const n = state.train.x.shape[0]!;
  const steps = epochs * Math.ceil(n / BATCH_SIZE);
  await train(model, state.train, {
    optimizer: adam({ lr: 2e-3 }),
    epochs,
    batchSize: BATCH_SIZE,
    seed: 1,
    callbacks: [{
      onBatchEnd(s) {
        if (s.step % 5 === 0 || s.step === steps) progress('train', `epoch ${s.epoch + 1}/${epochs}, step ${s.step}/${steps}, loss ${s.loss.toFixed(3)}`, 0.95 * s.step / steps);
      },
    }],
  });
  setDense(model, DEFAULT_ARCH);
  await announceDense('trained');
}

/** Reads the demo CNN's widths from a loaded model (for the KD student); defaults when absent. */
function archOf(model: Model): Arch {
  const out = (node: string): number | undefined => model.param(node, 'kernel')?.shape.at(-1);
  const w1 = out('conv1');
  const w2 = out('conv3');
  const h = out('fc1');
  return w1 && w2 && h ? { widths: [w1, w2], hidden: h } : DEFAULT_ARCH;
}

async function loadDense(json: string, weights: ArrayBuffer): Promise<void> {
  const { trainDigits } = requireData();
  progress('load', 'reading model.json + weights.bin', 0.1);
  const model = fromArtifacts({ json: JSON.parse(json) as ModelJSON, weights });
  if (!state.train) state.train = toTensors(trainDigits, 3000);
  setDense(model, archOf(model));
  await announceDense('loaded');
}

async function compress(methodId: MethodId, ratio: number): Promise<void> {
  const { test } = requireData();
  const { dense, metrics } = requireDense();
  const method = methodById(methodId);
  const t0 = performance.now();
  const ctx: MethodContext = {
    dense,
    train: state.train ?? test,
    test,
    arch: state.arch,
    epochs: 1,
    progress: (text, f) => progress('compress', text, 0.8 * f),
  };
  const result = await method.run(ctx, ratio);
  const seconds = (performance.now() - t0) / 1000;
  progress('compress', 'measuring the compressed model', 0.82);
  const files = result.files ?? (await modelFiles(result.model));
  const measured = await measure(result.model, test, files);
  progress('compress', 'timing dense and compressed side by side', 0.84);
  const [denseMs, afterMs] = await pairedLatency(dense, result.model);
  const before: Metrics = { ...metrics, latencyMs: denseMs };
  const after: Metrics = { ...measured, latencyMs: afterMs };
  let sweep = state.sweeps.get(methodId) ?? [];
  if (method.oneShot && sweep.length === 0) {
    sweep = [point(metrics, metrics, 'dense')];
    for (const [i, r] of SWEEP.entries()) {
      progress('compress', `one-shot sweep (no fine-tuning): ${(r * 100).toFixed(0)}%`, 0.85 + 0.15 * i / SWEEP.length);
      const pruned = method.oneShot(dense.clone(), r);
      const acc = accuracy(pruned, test.x, test.y, { batchSize: 250 });
      const nonZero = countNonZero(pruned);
      sweep.push({ sparsity: 1 - nonZero / metrics.params, accuracy: acc, label: `${(r * 100).toFixed(0)}%` });
      pruned.dispose();
    }
    state.sweeps.set(methodId, sweep);
  }
  state.compressed?.dispose();
  state.compressed = result.model;
  state.files = files;
  post({
    type: 'compressed', method: methodId, ratio, before, after,
    layers: layerRows(dense, result.model), sweep, point: point(metrics, after, method.info.ratioLabel ? `${method.info.label} ${(ratio * 100).toFixed(0)}%` : method.info.label), seconds,
  });
}

function probabilities(model: Model, x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.softmax(model.predict(x)).dataSync()));
}

function predict(pixels: Float32Array): void {
  const { dense } = requireDense();
  const x = tf.tensor4d(pixels, [1, 28, 28, 1]);
  try {
    post({ type: 'prediction', dense: probabilities(dense, x), ...(state.compressed ? { compressed: probabilities(state.compressed, x) } : {}) });
  } finally {
    x.dispose();
  }
}

/** Sends test digit `index` (wrapping) to the page, then the predictions for it. */
function sample(index: number): void {
  const digits = state.testDigits;
  if (!digits) throw new Error('the worker is not initialized');
  const i = ((index % digits.count) + digits.count) % digits.count;
  const pixels = digits.images.slice(i * 784, (i + 1) * 784);
  post({ type: 'sample', pixels, label: digits.labels[i] ?? 0, index: i });
  if (state.dense) predict(pixels);
}

async function exportModel(): Promise<void> {
  const files = state.files ?? (state.dense ? await modelFiles(state.dense) : undefined);
  if (!files) throw new Error('nothing to download yet');
  post({ type: 'exported', files: files.map((f) => ({ name: f.name, data: typeof f.data === 'string' ? f.data : f.data.slice(0) })) });
}

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case 'init': return init(req.assetBase);
    case 'train': return trainDense(req.epochs, req.trainSize);
    case 'load': return loadDense(req.json, req.weights);
    case 'compress': return compress(req.method, req.ratio);
    case 'predict': return predict(req.pixels);
    case 'sample': return sample(req.index);
    case 'export': return exportModel();
  }
}

let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<Request>) => {
  queue = queue.then(() => handle(e.data)).catch((err: unknown) => {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
};
