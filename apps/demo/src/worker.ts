/// <reference lib="webworker" />
/**
 * The demo's compute worker: wasm backend, models, data, training, compression, measurement and
 * prediction all run here so the page stays responsive. One request at a time, in order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam, ConfigError, toArtifacts, train, type BackendInfo, type Model } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { accuracy, benchmarkLatency, countNonZero } from '@bonsai/eval';
import { initWasm } from './backend';
import { readImages, withPath } from './byo/images';
import { readModelFiles, type ModelFiles } from './byo/model-files';
import { downloadFiles, hasBatchNorm, ioShapes, openModel, reopen, summarize, type OpenModel } from './byo/open-model';
import { demoCnn, type Arch } from './cnn';
import { fetchDigits, toTensors, type Digits } from './data';
import { estimate } from './estimate';
import { layerRows, measure, pairedLatency, point } from './metrics';
import { BATCH_SIZE, METHODS, methodById, type MethodContext, type Tensors } from './methods/index';
import type { CompressOptions, CurvePoint, DataSummary, DownloadFile, MethodAvailability, Metrics, ModelSummary, Request, Response, Run } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

/** Ratios of the one-shot sweep (no fine-tuning) drawn as a curve. */
const SWEEP = [0.1, 0.3, 0.5, 0.7, 0.9];
/** MNIST digits each fine-tuning epoch runs over (one short epoch keeps a run in seconds). */
const FINE_TUNE_DIGITS = 2000;
/** Where the pretrained MNIST CNN is served (public/ in the Vite app). */
const PRETRAINED = 'pretrained/mnist-cnn/';

interface Base {
  open: OpenModel;
  summary: ModelSummary;
  arch?: Arch;
  metrics?: Metrics;
}

interface DataSet {
  train: Tensors;
  test: Tensors;
  summary: DataSummary;
}

interface KeptRun {
  run: Run;
  model: Model;
  files: DownloadFile[];
}

interface State {
  backend?: BackendInfo;
  assetBase: string;
  trainDigits?: Digits;
  testDigits?: Digits;
  base?: Base;
  data?: DataSet;
  runs: Map<number, KeptRun>;
  selected: number | null;
  sweeps: Map<string, CurvePoint[]>;
  nextRun: number;
}

const state: State = { assetBase: './', runs: new Map(), selected: null, sweeps: new Map(), nextRun: 1 };

function post(msg: Response, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function progress(task: string, text: string, fraction: number, loss?: { step: number; loss: number }): void {
  post({ type: 'progress', task, text, fraction, ...(loss ?? {}) });
}

function disposeData(d: DataSet | undefined): void {
  if (d) tf.dispose([d.train.x, d.train.y, d.test.x, d.test.y]);
}

async function init(assetBase: string): Promise<void> {
  state.assetBase = assetBase;
  progress('init', 'starting the wasm backend', 0);
  try {
    state.backend = await initWasm();
  } catch (e) {
    post({ type: 'backendFailed', message: e instanceof Error ? e.message : String(e) });
    return;
  }
  progress('init', 'loading MNIST', 0.3);
  const [trainDigits, testDigits] = await Promise.all([
    fetchDigits(new URL('mnist-train.bin', assetBase).href),
    fetchDigits(new URL('mnist-test.bin', assetBase).href),
  ]);
  state.trainDigits = trainDigits;
  state.testDigits = testDigits;
  post({ type: 'ready', backend: state.backend, methods: METHODS.map((m) => m.info), trainCount: trainDigits.count, testCount: testDigits.count, isolated: self.crossOriginIsolated });
  await loadPretrained();
}

/** Reads the demo CNN's widths from a model (for the KD student); undefined when it is not the demo CNN. */
function archOf(model: Model): Arch | undefined {
  const out = (node: string): number | undefined => (model.graph.has(node) ? model.param(node, 'kernel')?.shape.at(-1) : undefined);
  const w1 = out('conv1');
  const w2 = out('conv3');
  const h = out('fc1');
  return w1 && w2 && h ? { widths: [w1, w2], hidden: h } : undefined;
}

function availability(model: Model, arch: Arch | undefined): MethodAvailability[] {
  return METHODS.map((m) => {
    const id = m.info.id;
    if (id === 'slimming' && !hasBatchNorm(model)) return { id, disabled: 'needs batch-norm layers (this model has none; converters often fold them into the convs)' };
    if (id === 'kd' && !arch) return { id, disabled: 'trains a narrower demo CNN, so it needs the MNIST CNN; use "fine-tune with KD" with another method' };
    return { id };
  });
}

function mnistData(): DataSet {
  if (!state.trainDigits || !state.testDigits) throw new ConfigError('the worker is not initialized', { key: 'init' });
  const t = toTensors(state.trainDigits, FINE_TUNE_DIGITS);
  const e = toTensors(state.testDigits);
  return {
    train: t,
    test: e,
    summary: { kind: 'mnist', trainCount: FINE_TUNE_DIGITS, evalCount: state.testDigits.count, labeled: true, note: `MNIST: ${FINE_TUNE_DIGITS} digits to fine-tune, ${state.testDigits.count} held-out test digits to measure accuracy` },
  };
}

/** Makes `open` the model to compress; keeps the run history (runs of earlier models stay listed). */
async function setBase(open: OpenModel, source: ModelSummary['source']): Promise<void> {
  const { input, output } = ioShapes(open.model);
  const arch = archOf(open.model);
  const summary = summarize(open, source, availability(open.model, arch));
  state.base?.open.model.dispose();
  state.base = { open, summary, ...(arch ? { arch } : {}) };
  state.sweeps.clear();
  state.selected = null;
  const keepImages = state.data?.summary.kind === 'images' && !summary.drawable;
  if (!keepImages) {
    disposeData(state.data);
    state.data = summary.drawable ? mnistData() : undefined;
  }
  if (state.data && state.data.test.x.shape.slice(1).join() !== input.join()) {
    disposeData(state.data);
    state.data = undefined;
  }
  void output;
  await announceBase();
}

async function announceBase(): Promise<void> {
  const base = state.base!;
  if (!state.data) {
    post({ type: 'model', summary: base.summary, data: { kind: 'images', trainCount: 0, evalCount: 0, labeled: false, note: `pick images (${base.summary.inputShape.join('x')}) to measure and compress this model` }, metrics: emptyMetrics(base), layers: layerRows(base.open.model, base.open.model) });
    return;
  }
  progress('measure', 'measuring accuracy, size and latency', 0.9);
  const files = await downloadFiles(base.open.model, base.open.format, 'float32').catch(() => undefined);
  base.metrics = await measure(base.open.model, state.data.test, files);
  if (base.summary.storedAs) base.metrics = { ...base.metrics, bytes: base.open.bytes };
  post({ type: 'model', summary: base.summary, data: state.data.summary, metrics: base.metrics, layers: layerRows(base.open.model, base.open.model) });
}

function emptyMetrics(base: Base): Metrics {
  return { accuracy: Number.NaN, params: base.summary.params, nonZero: countNonZero(base.open.model), macs: base.summary.macs, effectiveMacs: base.summary.macs, bytes: base.open.bytes, gzipBytes: Number.NaN, latencyMs: Number.NaN };
}

async function loadPretrained(): Promise<void> {
  progress('load', 'loading the pretrained MNIST CNN', 0.6);
  const names = ['model.json', 'weights.bin'];
  const files = await Promise.all(names.map(async (n) => {
    const res = await fetch(new URL(PRETRAINED + n, state.assetBase).href);
    if (!res.ok) throw new ConfigError(`pretrained model ${PRETRAINED}${n}: HTTP ${res.status}`, { key: 'pretrained' });
    return new File([await res.blob()], n);
  }));
  const read: ModelFiles = await readModelFiles(files);
  await setBase(await openModel({ ...read, name: 'MNIST CNN (pretrained)' }), 'pretrained');
}

async function trainDense(epochs: number, trainSize: number): Promise<void> {
  if (!state.trainDigits) throw new ConfigError('the worker is not initialized', { key: 'init' });
  const data = toTensors(state.trainDigits, trainSize);
  const model = demoCnn();
  const steps = epochs * Math.ceil(trainSize / BATCH_SIZE);
  try {
    await train(model, data, {
      optimizer: adam({ lr: 2e-3 }),
      epochs,
      batchSize: BATCH_SIZE,
      seed: 1,
      callbacks: [{
        onBatchEnd(s) {
          if (s.step % 2 === 0 || s.step === steps) progress('train', `epoch ${s.epoch + 1}/${epochs}, step ${s.step}/${steps}, loss ${s.loss.toFixed(3)}`, 0.85 * s.step / steps, { step: s.step, loss: s.loss });
        },
      }],
    });
  } finally {
    tf.dispose([data.x, data.y]);
  }
  const art = await toArtifacts(model);
  model.dispose();
  const files = [new File([JSON.stringify(art.json)], 'model.json'), new File([art.weights], 'weights.bin')];
  await setBase(await openModel({ ...(await readModelFiles(files)), name: `MNIST CNN (trained here, ${epochs} epoch${epochs > 1 ? 's' : ''} on ${trainSize})` }), 'trained');
}

async function loadFiles(files: File[]): Promise<void> {
  progress('load', `reading ${files.length} file${files.length === 1 ? '' : 's'}`, 0.1);
  const read = await readModelFiles(files);
  progress('load', `importing the ${read.format}`, 0.3);
  await setBase(await openModel(read), 'loaded');
}

async function loadImages(files: File[], paths: readonly string[], preprocess: string): Promise<void> {
  const base = requireBase();
  const { input, output } = ioShapes(base.open.model);
  progress('images', `decoding ${files.length} files`, 0.05);
  const data = await readImages(files.map((f, i) => withPath(f, paths[i] ?? f.name)), base.open.model, input, output.at(-1) ?? 1, preprocess, (done, total) => progress('images', `decoded ${done}/${total} images`, 0.1 + 0.7 * done / total));
  disposeData(state.data);
  state.data = data;
  await announceBase();
}

function requireBase(): Base {
  if (!state.base) throw new ConfigError('load a model first', { key: 'model' });
  return state.base;
}

function requireData(): DataSet {
  if (!state.data) throw new ConfigError('pick images for this model first (a folder with class subfolders, or loose images)', { key: 'images' });
  return state.data;
}

async function compress(o: CompressOptions): Promise<void> {
  const base = requireBase();
  const data = requireData();
  const dense = base.open.model;
  const metrics = base.metrics!;
  const method = methodById(o.method);
  const unavailable = base.summary.methods.find((m) => m.id === o.method)?.disabled;
  if (unavailable) throw new ConfigError(`${method.info.label} ${unavailable}`, { key: 'method' });
  const stock = base.open.format !== 'bonsai';
  if (!stock && o.quant !== 'float32') throw new ConfigError(`${o.quant} weights apply to tfjs LayersModel/GraphModel downloads; this model is in Bonsai's format (use the int8 method)`, { key: 'quant' });
  const kd = o.kd || !data.summary.labeled;
  const t0 = performance.now();
  const ctx: MethodContext = {
    dense,
    copy: () => base.open.copy(),
    ...(kd ? { loss: kdLossSpec(dense, { temperature: 2, alpha: data.summary.labeled ? 0.7 : 1 }) } : {}),
    train: data.train,
    test: data.test,
    ...(base.arch ? { arch: base.arch } : {}),
    epochs: 1,
    progress: (text, f, loss) => progress('compress', text, 0.75 * f, loss),
  };
  // A stock-format model cannot hold Bonsai's int8: its download uses the manifest's uint8 encoding.
  const stockInt8 = o.method === 'int8' && stock;
  const result = stockInt8 ? { model: await base.open.copy() } : await method.run(ctx, o.ratio);
  const quant = stockInt8 ? 'uint8' : o.quant;
  const seconds = (performance.now() - t0) / 1000;
  progress('compress', 'writing the download and reading it back', 0.78);
  const files = 'files' in result && result.files ? result.files : await downloadFiles(result.model, base.open.format, quant);
  // Measure what the download holds: a stock file with uint8/float16 weights is read back (dequantized as tfjs does).
  const measured = stock ? await reopen(files, base.open.format) : result.model;
  if (measured !== result.model) result.model.dispose();
  progress('compress', 'measuring accuracy and size', 0.8);
  const after = await measure(measured, data.test, files, data.summary.labeled ? undefined : dense);
  progress('compress', 'timing the original and the compressed model in alternating rounds', 0.82);
  const latency = await pairedLatency(dense, measured);
  let sweep = state.sweeps.get(o.method) ?? [];
  if (method.oneShot && sweep.length === 0) {
    sweep = [point(metrics, metrics, 'original')];
    for (const [i, r] of SWEEP.entries()) {
      progress('compress', `one-shot sweep (no fine-tuning): ${(r * 100).toFixed(0)}%`, 0.86 + 0.14 * i / SWEEP.length);
      const pruned = method.oneShot(dense.clone(), r);
      const acc = accuracy(pruned, data.test.x, data.test.y, { batchSize: 64 });
      sweep.push({ sparsity: 1 - countNonZero(pruned) / metrics.params, accuracy: acc, label: `${(r * 100).toFixed(0)}%` });
      pruned.dispose();
    }
    state.sweeps.set(o.method, sweep);
  }
  const id = state.nextRun++;
  const label = `${stockInt8 ? 'uint8 weights' : method.info.label}${method.info.ratioLabel ? ` ${(o.ratio * 100).toFixed(0)}%` : ''}${quant !== 'float32' && !stockInt8 ? ` + ${quant}` : ''}${kd && o.method !== 'int8' && o.method !== 'kd' ? ' + KD' : ''}`;
  const run: Run = {
    id, model: base.summary.name, format: base.open.format, method: o.method, label, ratio: o.ratio,
    quant: o.method === 'int8' && !stock ? 'int8' : quant, kd, metric: data.summary.labeled ? 'accuracy' : 'agreement',
    before: { ...metrics, latencyMs: latency.beforeMs }, after: { ...after, latencyMs: latency.afterMs }, latency,
    layers: layerRows(dense, measured), seconds, drawable: base.summary.drawable,
    ...('detail' in result && result.detail ? { detail: result.detail } : {}),
  };
  state.runs.set(id, { run, model: measured, files });
  state.selected = id;
  post({ type: 'compressed', run, sweep });
}

function probabilities(model: Model, x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.softmax(model.predict(x)).dataSync()));
}

function predict(pixels: Float32Array): void {
  const base = requireBase();
  if (!base.summary.drawable) return;
  const kept = state.selected === null ? undefined : state.runs.get(state.selected);
  const x = tf.tensor4d(pixels, [1, 28, 28, 1]);
  try {
    post({ type: 'prediction', dense: probabilities(base.open.model, x), run: state.selected, ...(kept?.run.drawable ? { compressed: probabilities(kept.model, x) } : {}) });
  } finally {
    x.dispose();
  }
}

/** Sends test digit `index` (wrapping) to the page, then the predictions for it. */
function sample(index: number): void {
  const digits = state.testDigits;
  if (!digits) throw new ConfigError('the worker is not initialized', { key: 'init' });
  const i = ((index % digits.count) + digits.count) % digits.count;
  const pixels = digits.images.slice(i * 784, (i + 1) * 784);
  post({ type: 'sample', pixels, label: digits.labels[i] ?? 0, index: i });
  if (state.base?.summary.drawable) predict(pixels);
}

function select(run: number | null): void {
  if (run !== null && !state.runs.has(run)) throw new ConfigError(`no run #${run}`, { key: 'run' });
  state.selected = run;
}

async function exportRun(run: number | null): Promise<void> {
  const kept = run === null ? undefined : state.runs.get(run);
  const base = requireBase();
  const files = kept?.files ?? (await downloadFiles(base.open.model, base.open.format, 'float32'));
  post({ type: 'exported', files: files.map((f) => ({ name: f.name, data: typeof f.data === 'string' ? f.data : f.data.slice(0) })) });
}

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case 'init': return init(req.assetBase);
    case 'train': return trainDense(req.epochs, req.trainSize);
    case 'pretrained': return loadPretrained();
    case 'loadFiles': return loadFiles(req.files);
    case 'images': return loadImages(req.files, req.paths, req.preprocess);
    case 'estimate': {
      const base = requireBase();
      post({ type: 'estimate', estimate: estimate(base.open.model, base.arch, req.method, req.ratio, base.open.format === 'bonsai' ? 'float32' : req.quant) });
      return;
    }
    case 'compress': return compress(req);
    case 'select': return select(req.run);
    case 'predict': return predict(req.pixels);
    case 'sample': return sample(req.index);
    case 'export': return exportRun(req.run);
    case 'bench': {
      const base = requireBase();
      const lat = await benchmarkLatency(base.open.model, { warmup: 2, runs: req.runs, batch: req.batch });
      post({ type: 'bench', samples: lat.samples, threads: state.backend?.threads ?? false });
      return;
    }
  }
}

let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<Request>) => {
  queue = queue.then(() => handle(e.data)).catch((err: unknown) => {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
};
