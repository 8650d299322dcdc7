import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import type { Callback, Model } from '@bonsai/core';
import { agp, fineTune, gradualPruning, lampImportance, remove, rewindPruning, sparsityReport } from '@bonsai/prune';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { accuracy } from '@bonsai/eval';
import { lenet5, mlp300100, smallCnn } from '@bonsai/models';
import { createReport, isSmoke, kib, pct, pick } from '@bonsai/bench-harness';
import { clusteredFile } from './codebook-file';
import { quantize } from './quantize-api';
import { cachedDense, runSparseVd, type VdRunConfig } from './sparsity-vd';
import { fileSize } from './util';

/** Settings of one model's run in the sparsity bench. */
export interface SparsityModelConfig {
  name: 'LeNet-300-100' | 'LeNet-5' | 'small CNN 8-8-16-16';
  /** Results file name (bench-results/<bench>.json). */
  bench: string;
  denseEpochs: number;
  /** Epochs of pruning + retraining each method gets (the same budget for AGP and rewinding). */
  pruneEpochs: number;
  finalSparsity: number;
  /** Sparsity after each learning-rate rewinding round. */
  sparsities: number[];
  /** Epochs of each round (they sum to `pruneEpochs`): the last, sparsest round gets the most. */
  roundEpochs: number[];
  /** Fraction of AGP's epochs over which sparsity ramps up (the rest fine-tunes at the final sparsity). */
  agpRamp: number;
  /**
   * Also run AGP with a sparsity per layer (node id -> its kernel's final sparsity) instead of one
   * global threshold: the fragile layers (conv1, the classifier) kept denser.
   */
  agpLayers?: Record<string, number>;
  /** Run AGP / learning-rate rewinding (default true; the smoke run keeps only variational dropout on LeNet-5, to stay as cheap as before). */
  agp?: boolean;
  rewinding?: boolean;
  /** Also run AGP with LAMP scores (separates the allocation's share of the gain from rewinding's). */
  agpLamp: boolean;
  /** Sparse variational dropout (its epochs + fine-tune epochs equal `pruneEpochs`); absent: not run. */
  vd?: Omit<VdRunConfig, 'batchSize'>;
  /** Learning rate of AGP's and rewinding's fine-tune (default the config's `lr`, which trains the dense model). */
  pruneLr?: number;
  /** Centroids per kernel for the clustered file. */
  clusters: number;
  /** Centroids of biases and batch-norm params (default 16). */
  otherClusters?: number;
  /** Centroids of particular params, overriding the two above. */
  paramClusters?: Record<string, number>;
  /** Epochs of centroid fine-tuning (tfmot-style: the shared values train, the assignments and zeros hold) before the clustered file is written (default 0), at `centroidLr` (default 1e-3). */
  centroidEpochs?: number;
  centroidLr?: number;
  /** Fold batch norm into the convs (inference-mode, @bonsai/quantize's foldBatchNorm) before clustering: fewer params and graph nodes in the file. */
  foldBn?: boolean;
  /** Accuracy-drop target in points and, for the compression runs, the size ratio target. */
  maxDropPoints: number;
  minRatio?: number;
}

/**
 * Sparse variational dropout defaults of every model (its epochs are per model). KL x2 at N = 8000
 * is the ELBO of a 4000-sample set: stronger pressure, so log α passes 3 within the short budget
 * (the conv nets); LeNet-300-100 uses the plain ELBO (x1), which was better there (95.90% vs 95.20%).
 */
const VD = { warmupEpochs: 2, lr: 1e-3, logSigma2LrMultiplier: 10, initLogSigma2: -10, threshold: 3, klWeight: 2 } as const;

/** Settings of {@link runSparsityBench}. */
export interface SparsityConfig {
  models: SparsityModelConfig[];
  batchSize: number;
  lr: number;
}

/**
 * Full size. LeNet-300-100 as in lenet-agp.ts; the conv nets get shorter runs so the bench stays
 * near 10 minutes on an idle 2-core machine (a LeNet-5 epoch on wasm costs ~6x an MLP epoch).
 */
export const SPARSITY: SparsityConfig = {
  batchSize: 64,
  lr: 1e-3,
  models: [
    { name: 'LeNet-300-100', bench: 'sparsity-lenet300', denseEpochs: 10, pruneEpochs: 12, finalSparsity: 0.985, sparsities: [0.9, 0.97, 0.985], roundEpochs: [3, 3, 6], agpRamp: 0.6, agpLamp: false, rewinding: false, clusters: 16, centroidEpochs: 2, maxDropPoints: 0.3, vd: { ...VD, klWeight: 1, epochs: 10, fineTuneEpochs: 2, sparsity: 0.985 } },
    // LeNet-5: tuned with sparsity-agp-explore.ts (README): per-layer AGP at 2e-3 for 40 epochs; the others at the same total sparsity and epochs.
    {
      name: 'LeNet-5', bench: 'sparsity-lenet5', denseEpochs: 10, pruneEpochs: 40, pruneLr: 2e-3, finalSparsity: 0.979, sparsities: [0.9, 0.979], roundEpochs: [10, 30], agpRamp: 0.5, agpLamp: false, rewinding: false,
      agpLayers: { conv1: 0.5, conv2: 0.9, fc1: 0.99, fc2: 0.97, fc3: 0.8 },
      clusters: 4, otherClusters: 4, paramClusters: { 'conv1/kernel': 16, 'conv2/kernel': 8, 'fc3/kernel': 8 }, centroidEpochs: 3,
      maxDropPoints: 0.5, minRatio: 100, vd: { ...VD, epochs: 10, fineTuneEpochs: 30, sparsity: 0.979 },
    },
    // Small CNN: dense to convergence (30 epochs, 98.40%), then the LeNet-5 recipe: 40 epochs per method at 2e-3, AGP per layer
    // (tuned with sparsity-agp-explore.ts), batch norm folded before clustering (8 centroids per kernel, conv1 16).
    {
      name: 'small CNN 8-8-16-16', bench: 'sparsity-cnn', denseEpochs: 30, pruneEpochs: 40, pruneLr: 2e-3, finalSparsity: 0.969, sparsities: [0.9, 0.969], roundEpochs: [10, 30], agpRamp: 0.5, agpLamp: false, rewinding: false,
      agpLayers: { conv1: 0.3, conv2: 0.7, conv3: 0.85, conv4: 0.92, fc1: 0.99, fc2: 0.7 },
      clusters: 8, otherClusters: 4, paramClusters: { 'conv1/kernel': 16 }, centroidEpochs: 3, foldBn: true,
      maxDropPoints: 0.5, minRatio: 100, vd: { ...VD, epochs: 10, fineTuneEpochs: 30, sparsity: 0.969 },
    },
  ],
};

/** Smoke size: one epoch per phase on 256 digits (128 test): LeNet-300-100 with every method, LeNet-5 with variational dropout only (proves the pipeline runs). */
export const SPARSITY_SMOKE: SparsityConfig = {
  ...SPARSITY,
  models: SPARSITY.models.slice(0, 2).map((m, i) => ({ ...m, agp: i === 0, rewinding: i === 0, denseEpochs: 1, pruneEpochs: 1, sparsities: [m.finalSparsity], roundEpochs: [1], agpLamp: false, centroidEpochs: Math.min(1, m.centroidEpochs ?? 0), vd: { ...m.vd!, epochs: 1, warmupEpochs: 0, fineTuneEpochs: 0 } })),
};

function build(name: SparsityModelConfig['name']): Model {
  if (name === 'LeNet-300-100') return mlp300100({ seed: 0 });
  if (name === 'LeNet-5') return lenet5({ seed: 0 });
  return smallCnn({ seed: 0, widths: [8, 16], hidden: 32 });
}

/** Whether an accuracy drop (points) meets the target; accuracies are counts over the test set, so compare at 1e-6 pt (0.976 - 0.971 is not exactly 0.005 in floating point). */
const withinDrop = (drop: number, mc: SparsityModelConfig): boolean => drop <= mc.maxDropPoints + 1e-6;

const gz = (b: Uint8Array | ArrayBuffer): number => gzipSync(b instanceof ArrayBuffer ? new Uint8Array(b) : b, { level: 9 }).byteLength;

/** Bytes of @bonsai/quantize's int8 per-channel file (model.json + weights.bin + weights.q.bin) and its accuracy after loading it back. */
async function int8File(model: Model, x: tf.Tensor, y: tf.Tensor, entropyCoding: boolean): Promise<{ acc: number; bytes: number; gzip: number; encodings: string }> {
  const q = quantize.quantizeDynamic(model, { weights: { dtype: 'int8', symmetric: true, perChannel: true } });
  const art = await quantize.toQuantizedArtifacts(q, { compress: true, entropyCoding });
  q.dispose();
  const json = new TextEncoder().encode(JSON.stringify(art.json));
  const loaded = await quantize.fromQuantizedArtifacts(art, 'sparsity-bench');
  const acc = accuracy(loaded, x, y, { batchSize: 500 });
  loaded.dispose();
  const encodings = [...new Set(art.json.quantization.weights.map((w) => w.encoding))].join('/');
  return { acc, bytes: json.byteLength + art.weights.byteLength + art.quantized.byteLength, gzip: gz(json) + gz(art.weights) + gz(art.quantized), encodings };
}

/**
 * Higher sparsity than gradual magnitude pruning (issue 17): on the real MNIST digits, each model
 * is trained densely, then pruned from the same dense weights with (a) AGP while fine-tuning
 * (Zhu & Gupta 2017, today's method), (b) iterative global magnitude pruning with
 * learning-rate rewinding (Renda et al. 2020) and (c) sparse variational dropout (Molchanov et al.
 * 2017) followed by a short fine-tune at the masks, with the same number of epochs. The pruned models
 * are then compressed: @bonsai/quantize's int8 file (sparse + deflate, and entropy-coded), and a
 * Deep-Compression-style file (k-means clustering + Huffman-coded gaps and indices); accuracy is
 * measured on what each file decodes to.
 */
export async function runSparsityBench(cfg: SparsityConfig = pick(SPARSITY, SPARSITY_SMOKE)): Promise<void> {
  const only = process.env.PRUNE_SPARSITY_ONLY;
  const models = only ? cfg.models.filter((m) => m.name.startsWith(only)) : cfg.models;
  const data = loadMnist({ seed: 42, ...(isSmoke() ? { trainSize: 256, testSize: 128 } : {}) });
  const trainT = toTensors(data.train);
  const testT = toTensors(data.test);
  const acc = (m: Model): number => accuracy(m, testT.x, testT.y, { batchSize: 500 });
  const stepsPerEpoch = Math.ceil(data.train.count / cfg.batchSize);
  for (const mc of models) {
    const rep = createReport({ bench: mc.bench, settings: { batchSize: cfg.batchSize, lr: cfg.lr, ...mc, train: data.train.count, test: data.test.count } });
    const methodRows: Array<Record<string, string>> = [];
    const fileRows: Array<Record<string, string>> = [];
    const cached = await cachedDense(`${mc.name}-e${mc.denseEpochs}-n${data.train.count}`, () => build(mc.name), trainT, { epochs: mc.denseEpochs, batchSize: cfg.batchSize, lr: cfg.lr }, !isSmoke());
    const dense = cached.model;
    const denseSecs = cached.seconds;
    const denseAcc = acc(dense);
    const denseFile = await fileSize(dense);
    console.log(`${mc.name}: dense ${pct(denseAcc)} after ${mc.denseEpochs} epochs (${cached.cached ? 'cached in /tmp/sparsity' : `${denseSecs.toFixed(0)} s`})`);
    if (cached.cached) rep.note(`${mc.name}: the dense model was loaded from /tmp/sparsity (trained by an earlier run of this bench with the same seed, data and epochs).`);

    // (a) AGP while fine-tuning: ramp over agpRamp of the epochs, then fine-tune at the final sparsity.
    const runAgp = async (lamp: boolean): Promise<[Model, number]> => {
      const m = dense.clone();
      const t = performance.now();
      const schedule = agp({ initialSparsity: 0, finalSparsity: mc.finalSparsity, beginStep: 0, endStep: Math.max(1, Math.round(mc.agpRamp * mc.pruneEpochs * stepsPerEpoch)), frequency: 25 });
      const pruning = gradualPruning({ schedule, global: true, ...(lamp ? { importance: lampImportance } : {}) });
      await fineTune(m, trainT, { epochs: mc.pruneEpochs, lr: mc.pruneLr ?? cfg.lr, batchSize: cfg.batchSize, callbacks: [pruning], seed: 2 });
      return [m, (performance.now() - t) / 1000];
    };
    const runs: Array<readonly [string, Model, number]> = [];
    if (mc.agp ?? true) runs.push(['AGP (global |w|, cubic; today)', ...(await runAgp(false))]);
    if (mc.agpLamp) runs.push(['AGP (global LAMP, cubic)', ...(await runAgp(true))]);
    if (mc.agpLayers) {
      const m = dense.clone();
      const t = performance.now();
      const endStep = Math.max(1, Math.round(mc.agpRamp * mc.pruneEpochs * stepsPerEpoch));
      const callbacks = Object.entries(mc.agpLayers).map(([node, s]) => gradualPruning({ schedule: agp({ initialSparsity: 0, finalSparsity: s, beginStep: 0, endStep, frequency: 25 }), params: [`${node}/kernel`] }));
      await fineTune(m, trainT, { epochs: mc.pruneEpochs, lr: mc.pruneLr ?? cfg.lr, batchSize: cfg.batchSize, callbacks, seed: 2 });
      runs.push([`AGP per layer (${Object.entries(mc.agpLayers).map(([n, s]) => `${n} ${pct(s, 1)}`).join(', ')})`, m, (performance.now() - t) / 1000]);
    }

    // (b) Learning-rate rewinding: prune globally, then retrain with the LR schedule started over (fresh Adam, cosine from lr).
    let rounds = '';
    if (mc.rewinding ?? true) {
      const lrrModel = dense.clone();
      const t2 = performance.now();
      const result = await rewindPruning(lrrModel, {
        sparsities: mc.sparsities,
        importance: lampImportance,
        retrain: async (round) => {
          await fineTune(lrrModel, trainT, { epochs: mc.roundEpochs[round]!, lr: mc.pruneLr ?? cfg.lr, batchSize: cfg.batchSize, seed: 10 + round });
        },
      });
      runs.push([`LR rewinding (global LAMP, ${mc.sparsities.length} rounds, ${mc.roundEpochs.join('/')} epochs)`, lrrModel, (performance.now() - t2) / 1000]);
      rounds = result.rounds.map((r) => pct(r.sparsity, 1)).join(' -> ');
    }
    if (mc.vd) {
      const vdModel = dense.clone();
      const t3 = performance.now();
      const removed = await runSparseVd(vdModel, trainT, { ...mc.vd, batchSize: cfg.batchSize });
      const how = mc.vd.sparsity === undefined ? `log α > ${mc.vd.threshold}` : `largest log α to ${pct(mc.vd.sparsity, 1)}`;
      runs.push([`sparse variational dropout (${mc.vd.epochs} epochs, KL x${mc.vd.klWeight}, ${how}, + ${mc.vd.fineTuneEpochs} fine-tune)`, vdModel, (performance.now() - t3) / 1000]);
      rep.note(`${mc.name}: sparse variational dropout masked ${pct(removed)} of the weights.`);
    }
    const perLayer = (m: Model): string => sparsityReport(m).rows.map((r) => `${r.name.replace('/kernel', '')} ${pct(r.sparsity, 1)}`).join(', ');

    for (const [method, m, secs] of runs) {
      const a = acc(m);
      console.log(`${mc.name}: ${method} ${pct(a)} (${secs.toFixed(0)} s)`);
      const removed = sparsityReport(m).total.sparsity;
      const drop = 100 * (denseAcc - a);
      methodRows.push({
        model: mc.name, method, 'dense acc': pct(denseAcc), 'pruned acc': pct(a), 'drop (pt)': drop.toFixed(2), 'weights removed': pct(removed),
        target: `${withinDrop(drop, mc) ? 'met' : 'MISSED'} (<= ${mc.maxDropPoints} pt)`, 'per layer': perLayer(m), 'time s': `${secs.toFixed(0)} (dense ${cached.cached ? 'cached' : denseSecs.toFixed(0)})`,
      });
      remove(m);
      const baked = await fileSize(m);
      const stage = (name: string, accValue: number, bytes: number, gzip: number): void => {
        const ratio = denseFile.bytes / bytes;
        fileRows.push({
          model: mc.name, method, stage: name, acc: pct(accValue), 'drop (pt)': (100 * (denseAcc - accValue)).toFixed(2), 'file (raw)': kib(bytes), 'file (gzip)': kib(gzip),
          'x smaller (raw)': `${ratio.toFixed(1)}x`, 'x smaller (gzip)': `${(denseFile.bytes / gzip).toFixed(1)}x`, ...(mc.minRatio ? { target: '' } : {}),
        });
      };
      stage('float32, masks baked (core save)', a, baked.bytes, baked.gzip);
      const v1 = await int8File(m, testT.x, testT.y, false);
      stage(`+ int8 per-channel, ${v1.encodings} + deflate`, v1.acc, v1.bytes, v1.gzip);
      const v2 = await int8File(m, testT.x, testT.y, true);
      stage(`+ int8 per-channel, ${v2.encodings} (entropy coding)`, v2.acc, v2.bytes, v2.gzip);
      const folded = mc.foldBn ? quantize.foldBatchNorm(m) : undefined;
      const centroidEpochs = mc.centroidEpochs ?? 0;
      const fineTuneCentroids = async (c: Model, centroids: Callback): Promise<void> => {
        await fineTune(c, trainT, { epochs: centroidEpochs, lr: mc.centroidLr ?? 1e-3, batchSize: cfg.batchSize, callbacks: [centroids], seed: 3 });
      };
      const cb = await clusteredFile(folded ?? m, {
        kernelClusters: mc.clusters, otherClusters: mc.otherClusters ?? 16, ...(mc.paramClusters ? { paramClusters: mc.paramClusters } : {}), ...(centroidEpochs > 0 ? { fineTune: fineTuneCentroids } : {}),
      });
      folded?.dispose();
      const cbAcc = acc(cb.model);
      rep.note(`${mc.name}, ${method}, clustered Bonsai file bytes: ${Object.entries(cb.files).map(([f, b]) => `${f} ${b}`).join(', ')} (gzip total ${cb.gzip}).`);
      cb.model.dispose();
      const perParam = Object.entries(mc.paramClusters ?? {}).map(([n, k]) => `${n.replace('/kernel', '')} ${k}`);
      const clustering = `${mc.clusters}-centroid clustering${perParam.length ? ` (${perParam.join(', ')}; biases ${mc.otherClusters ?? 16})` : ''}${centroidEpochs > 0 ? `, ${centroidEpochs} epochs of centroid fine-tuning` : ''}`;
      stage(`+ ${mc.foldBn ? 'batch norm folded, ' : ''}${clustering}, Bonsai codebook file (saveQuantized, read back by loadQuantized)`, cbAcc, cb.bytes, cb.gzip);
      const cbDrop = 100 * (denseAcc - cbAcc);
      const ratio = denseFile.bytes / cb.gzip;
      if (mc.minRatio) fileRows[fileRows.length - 1]!.target = `${withinDrop(cbDrop, mc) && ratio >= mc.minRatio ? 'met' : 'MISSED'} (>= ${mc.minRatio}x gzip at <= ${mc.maxDropPoints} pt)`;
      m.dispose();
    }
    fileRows.push({ model: mc.name, method: 'dense', stage: 'float32 (core save)', acc: pct(denseAcc), 'drop (pt)': '0.00', 'file (raw)': kib(denseFile.bytes), 'file (gzip)': kib(denseFile.gzip), 'x smaller (raw)': '1.0x', 'x smaller (gzip)': `${(denseFile.bytes / denseFile.gzip).toFixed(1)}x` });
    if (rounds) rep.note(`${mc.name}: LR rewinding rounds reached ${rounds}.`);
    dense.dispose();
    const table = (id: string, title: string, rows: Array<Record<string, string>>): void => {
      const columns = Object.keys(rows[0]!);
      rep.table(id, { title, columns, rows: rows.map((r) => columns.map((c) => r[c] ?? '')) });
    };
    table('methods', `${mc.name}: same dense weights, same retraining epochs: AGP vs learning-rate rewinding vs sparse variational dropout (real MNIST, wasm)`, methodRows);
    table('files', `${mc.name}: file size by stage (ratios against the dense float32 file; accuracy of what each file decodes to)`, fileRows);
    rep.note('Ratios are against the dense core save() file (model.json + float32 weights.bin, raw). The wasm backend has no sparse or int8 kernels: these shrink the file, not latency.');
    rep.write();
  }
  tf.dispose([trainT.x, trainT.y, testT.x, testT.y]);
}
