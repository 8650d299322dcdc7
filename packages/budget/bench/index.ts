/**
 * @bonsai/budget benchmark (wasm backend):
 * 1. sweep speedup: one per-group sensitivity sweep in this thread vs on 2 worker threads
 *    (interleaved rounds; wall and process CPU time, which counts every thread);
 * 2. at equal MACs, budget-allocated ratios vs uniform ratios, same KD fine-tuning, on MNIST
 *    (small CNN and ResNet-20) and on the real emotion GraphModel (agreement on photo crops);
 * 3. the latency model: fitted on timed width configurations, checked on held-out ones, and a
 *    0.5x latency target: predicted vs measured wasm latency of the result (batch 1 and 16).
 * Writes bench-results/budget.json; smoke mode: tiny sizes. One part alone:
 * `npx tsx bench/index.ts --only sweep|mnist|latency|real|resnet` (or BUDGET_BENCH_ONLY=...), written
 * to bench-results/budget-<part>.json (latency: budget-latency-fit.json); `--clock wall|cpu` picks the latency clock (default cpu).
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { adam, initBackend, train, type Model } from '@bonsai/core';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { countMacs, lossCurves } from '@bonsai/eval';
import { importGraphModel } from '@bonsai/interop';
import { resnet20, smallCnn } from '@bonsai/models';
import { kdLossSpec } from '@bonsai/distill';
import { createReport, isSmoke, median, pick, type Report } from '@bonsai/bench-harness';
// The quantize real-model bench's seeded photo crops (same vendored photos, same crops).
import { crops } from '../../quantize/bench/photo-crops';
import {
  compressToBudget, fitConfigurations, fitLatency, groupSensitivity, latencyTerms, matchRate, predictorOf, pruneToRatios, references, resolveTargets, Structure, SweepPool, timeModels, topClasses, uniformAllocation,
  type HeldOut, type LatencyClock,
} from '../src/index';
import { recalibrateOn, runTimeTask } from '../src/tasks';

const here = dirname(fileURLToPath(import.meta.url));
const SMOKE = isSmoke();
const argValue = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ONLY = (argValue('--only') ?? process.env.BUDGET_BENCH_ONLY)?.replace(/^speedup$/, 'sweep');
const PARTS = ['sweep', 'mnist', 'latency', 'real', 'resnet'];
if (ONLY !== undefined && !PARTS.includes(ONLY)) throw new Error(`--only must be one of ${PARTS.join(', ')}, got ${ONLY}`);
const CLOCK = (argValue('--clock') ?? 'cpu') as LatencyClock;
if (CLOCK !== 'cpu' && CLOCK !== 'wall') throw new Error(`--clock must be cpu or wall, got ${CLOCK}`);
const load = (): string => loadavg().map((v) => v.toFixed(1)).join(' ');
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const num = (v: number): string => Math.round(v).toLocaleString('en-US');

interface Split { x: tf.Tensor; y?: tf.Tensor }

/** KD fine-tuning used for both arms of a comparison (same data, epochs, seed). */
async function fineTune(student: Model, teacher: Model, data: Split, epochs: number): Promise<void> {
  if (epochs <= 0) return;
  const y = data.y ?? tf.tidy(() => tf.oneHot(tf.tensor1d(topClasses(teacher, data.x), 'int32'), teacher.graph.shape(teacher.graph.outputs[0]!).at(-1)!));
  const opt = adam({ lr: 1e-3 });
  await train(student, { x: data.x, y }, { loss: kdLossSpec(teacher, { temperature: 4, alpha: data.y ? 0.9 : 1 }), optimizer: opt, epochs, batchSize: 64, seed: 0 });
  recalibrateOn(student, data.x, 512); // as compressToBudget does after fine-tuning
  opt.dispose();
  if (!data.y) y.dispose();
}

/** Budget vs uniform at one MAC target: returns the table row cells. */
async function budgetVsUniform(name: string, dense: Model, data: { train: Split; val: HeldOut; test: HeldOut }, fraction: number, epochs: number, pool: SweepPool): Promise<{ row: (string | number)[]; dense: number; budget: number; uniform: number; budgetMacs: number; uniformMacs: number }> {
  const t0 = performance.now();
  const { labels: testLabels } = references(dense, data.test);
  const denseScore = matchRate(topClasses(dense, data.test.x), testLabels);
  const r = await compressToBudget(dense, { val: data.val, train: data.train }, { target: { macs: { fraction } }, maxDrop: 0.01, pool, fineTune: { epochs }, sweepRatios: SMOKE ? [0.5] : undefined });
  const budgetScore = matchRate(topClasses(r.model, data.test.x), testLabels);
  const budgetMacs = countMacs(r.model).dense;
  r.model.dispose();
  // Uniform: the smallest single ratio that meets the same MAC bound, same fine-tuning.
  const s = new Structure(dense);
  const targets = resolveTargets({ macs: { fraction } }, { macs: s.cost({}).macs, params: s.cost({}).params, latencyMs: undefined, sizeBytes: undefined });
  const u = uniformAllocation(s, { curves: lossCurves(r.sensitivity), targets });
  const uni = dense.clone();
  pruneToRatios(uni, u.ratios);
  await fineTune(uni, dense, data.train, epochs);
  const uniScore = matchRate(topClasses(uni, data.test.x), testLabels);
  const uniMacs = countMacs(uni).dense;
  uni.dispose();
  const denseMacs = countMacs(dense).dense;
  console.log(`${name}: dense ${pct(denseScore)}, budget ${pct(budgetScore)} (${num(budgetMacs)} MACs), uniform ${pct(uniScore)} (${num(uniMacs)} MACs) in ${((performance.now() - t0) / 1000).toFixed(0)} s; load ${load()}`);
  const row = [name, `${fraction}x`, pct(denseScore), `${pct(uniScore)} (${(uniMacs / denseMacs).toFixed(3)}x)`, `${pct(budgetScore)} (${(budgetMacs / denseMacs).toFixed(3)}x)`, `${((budgetScore - uniScore) * 100).toFixed(2)} pt`, Object.values(r.allocation.ratios).map((v) => v.toFixed(2)).join('/')];
  return { row, dense: denseScore, budget: budgetScore, uniform: uniScore, budgetMacs: budgetMacs / denseMacs, uniformMacs: uniMacs / denseMacs };
}

async function trainDense(model: Model, data: Split, epochs: number, seed = 0): Promise<void> {
  const opt = adam({ lr: 2e-3 });
  await train(model, { x: data.x, y: data.y! }, { epochs, batchSize: 64, optimizer: opt, seed });
  // After a short run the running statistics lag far behind (ResNet-20, 1 epoch: 20.8% -> 76.6% after this).
  recalibrateOn(model, data.x, 512);
  opt.dispose();
}

function mnistSplits(): { train: Split; val: HeldOut; test: HeldOut } {
  const m = loadMnist({ seed: 42, trainSize: pick(2000, 128), testSize: pick(1000, 64) });
  const train = toTensors(m.train);
  const test = toTensors(m.test);
  const half = Math.floor(test.x.shape[0] / 2);
  const split = (t: tf.Tensor, a: number, n: number): tf.Tensor => tf.slice(t, [a], [n]);
  const out = { train, val: { x: split(test.x, 0, half), y: split(test.y, 0, half) }, test: { x: split(test.x, half, half), y: split(test.y, half, half) } };
  tf.dispose([test.x, test.y]);
  return out;
}

const MNIST_COLUMNS = ['model', 'MAC bound', 'dense', 'uniform (MACs)', 'budget (MACs)', 'budget - uniform', 'budget ratios per group'];
const mnistTitle = (d: ReturnType<typeof mnistSplits>): string =>
  `At equal MACs: budget-allocated vs uniform ratios, same KD fine-tuning (${d.train.x.shape[0]} train, ${d.val.x.shape[0]} val for sensitivity, ${d.test.x.shape[0]} test digits)`;
const MNIST_NOTE = 'Accuracy on held-out test digits not used by the sweep. Uniform = the smallest single ratio meeting the bound. One seed.';

function disposeSplits(d: ReturnType<typeof mnistSplits>): void {
  tf.dispose([d.train.x, d.train.y!, d.val.x, d.val.y!, d.test.x, d.test.y!]);
}

async function mnist(report: Report, pool: SweepPool): Promise<Model> {
  const data = mnistSplits();
  const cnn = smallCnn({ widths: pick([16, 32], [4, 8]), hidden: pick(64, 16), dropout: 0, seed: 0 });
  await trainDense(cnn, data.train, pick(2, 1));
  if (ONLY === 'latency') {
    disposeSplits(data);
    return cnn;
  }
  const { row } = await budgetVsUniform(SMOKE ? 'small CNN 4-8 (MNIST)' : 'small CNN 16-32 (MNIST)', cnn, data, 0.3, 1, pool);
  report.table('equal-macs', { title: mnistTitle(data), columns: MNIST_COLUMNS, rows: [row], note: MNIST_NOTE });
  disposeSplits(data);
  return cnn;
}

async function mnistResnet(report: Report, pool: SweepPool): Promise<void> {
  const data = mnistSplits();
  const seeds = Number(argValue('--seeds') ?? 3);
  const rows: (string | number)[][] = [];
  const diffs: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const res = resnet20({ base: 8, seed });
    await trainDense(res, data.train, 1, seed);
    const r = await budgetVsUniform(`ResNet-20 base 8 (MNIST), seed ${seed}`, res, data, 0.4, 1, pool);
    res.dispose();
    rows.push(r.row);
    diffs.push(r.budget - r.uniform);
  }
  const m = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const se = diffs.length > 1 ? Math.sqrt(diffs.reduce((a, d) => a + (d - m) ** 2, 0) / (diffs.length - 1) / diffs.length) : Number.NaN;
  rows.push(['mean over seeds', '0.4x', '', '', '', `${(100 * m).toFixed(2)} ± ${(100 * se).toFixed(2)} pt`, '']);
  report.table('equal-macs-resnet', {
    title: mnistTitle(data),
    columns: MNIST_COLUMNS,
    rows,
    note: `Accuracy on held-out test digits not used by the sweep. Uniform = the smallest single ratio meeting the bound. Seeds vary the initialization and training order; the last row is the mean of budget - uniform ± its standard error. Load average at the end: ${load()} on 2 cores.`,
  });
  disposeSplits(data);
}

async function real(report: Report, pool: SweepPool): Promise<void> {
  const model = await importGraphModel(join(here, '../../interop/test/fixtures/graph-model/emotion/model.json'));
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const data = { train: { x: await crops(pick(256, 32), 1, shape) }, val: { x: await crops(pick(128, 24), 2, shape) }, test: { x: await crops(pick(192, 24), 3, shape) } };
  const rows: (string | number)[][] = [];
  for (const fraction of [0.75, 0.5]) rows.push((await budgetVsUniform('emotion GraphModel (agreement, photo crops)', model, data, fraction, pick(2, 1), pool)).row);
  report.table('real', {
    title: `Real imported model at equal MACs: top-1 agreement with the dense model (${data.train.x.shape[0]} unlabeled crops for KD, ${data.val.x.shape[0]} for sensitivity, ${data.test.x.shape[0]} held out)`,
    columns: ['model', 'MAC bound', 'dense', 'uniform (MACs)', 'budget (MACs)', 'budget - uniform', 'budget ratios per group'],
    rows,
    note: `One seed. Load average at the end: ${load()} on 2 cores.`,
  });
  tf.dispose([data.train.x, data.val.x, data.test.x]);
  model.dispose();
}

const LATENCY_FIT_COLUMNS = ['model', 'fit configs', 'held-out configs', 'dense ms', 'fixed ms', 'exponent', 'fit rms error', 'held-out median |error|', 'held-out max |error|', 'held-out max |fraction error|'];

/** Fit on timed width configurations, predict held-out ones timed in the same interleaved rounds. */
async function latencyFit(dense: Model, batch: number): Promise<(string | number)[]> {
  const s = new Structure(dense);
  const terms = latencyTerms(s);
  const n = SMOKE ? terms.length + 2 : Math.max(12, 2 * terms.length + 6);
  const held = pick(8, 2);
  const configs = [...fitConfigurations(s, n, 0), ...fitConfigurations(s, held + 5, 99).slice(5)];
  const t0 = performance.now();
  const times = await runTimeTask(dense, { configs, batch, warmup: 2, runs: pick(25, 3), seed: 0, clock: CLOCK });
  const fit = fitLatency(s, configs.slice(0, n).map((ratios, i) => ({ ratios, ms: times[i]!.median })), terms);
  const predict = predictorOf(fit);
  const denseMs = predict(s.cost({}).work);
  const errs = configs.slice(n).map((ratios, i) => (predict(s.cost(ratios).work) - times[n + i]!.median) / times[n + i]!.median);
  const fracErrs = configs.slice(n).map((ratios, i) => predict(s.cost(ratios).work) / denseMs - times[n + i]!.median / times[0]!.median);
  const abs = (xs: number[]): number[] => xs.map(Math.abs).sort((a, b) => a - b);
  console.log(`latency fit batch ${batch}: exponent ${fit.exponent}, fixed ${fit.fixedMs.toFixed(3)} ms, held-out errors ${errs.map((e) => `${(100 * e).toFixed(1)}%`).join(' ')} in ${((performance.now() - t0) / 1000).toFixed(0)} s; load ${load()}`);
  return [`small CNN, batch ${batch}`, n, held, times[0]!.median.toFixed(2), fit.fixedMs.toFixed(2), fit.exponent.toFixed(2), `${(100 * fit.rmsRelError).toFixed(1)}%`, `${(100 * median(abs(errs))).toFixed(1)}%`, `${(100 * Math.max(...abs(errs))).toFixed(1)}%`, `${Math.max(...abs(fracErrs)).toFixed(3)}`];
}

async function latency(report: Report, dense: Model, pool: SweepPool): Promise<void> {
  const fitRows: (string | number)[][] = [];
  for (const batch of [1, 16]) fitRows.push(await latencyFit(dense, batch));
  report.table('latency-fit', {
    title: `Latency model (${CLOCK} clock): fitted on timed width configurations, predicting held-out ones`,
    columns: LATENCY_FIT_COLUMNS,
    rows: fitRows,
    note: `Plain passes (fused from batch 8), median of ${pick(25, 3)} interleaved rounds per configuration; held-out configurations are random per-group ratios (another seed) timed in the same rounds and not used by the fit. Fraction error: predicted ÷ predicted dense minus measured ÷ measured dense. Load average at the end: ${load()} on 2 cores.`,
  });
  const m = loadMnist({ seed: 7, trainSize: pick(2000, 128), testSize: pick(500, 64) });
  const train = toTensors(m.train);
  const val = toTensors(m.test);
  const rows: (string | number)[][] = [];
  for (const batch of [1, 16]) {
    const r = await compressToBudget(dense, { val, train }, { target: { latencyMs: { fraction: 0.5 } }, maxDrop: 0.01, pool, latency: { batch, runs: pick(25, 3), cacheDir: false, clock: CLOCK }, fineTune: { epochs: 1 } });
    const t = r.report.targets[0]!;
    console.log(r.report.markdown);
    // The same two models on the other clock (interleaved), for comparison.
    const other: LatencyClock = CLOCK === 'cpu' ? 'wall' : 'cpu';
    const [mine, ref] = await timeModels([r.model, dense], { batch, warmup: 2, runs: pick(25, 3), seed: 1, clock: other });
    const within = t.measuredFraction <= 0.5 * 1.1;
    rows.push([`small CNN, batch ${batch}`, t.dense.toFixed(2), `${t.predictedFraction.toFixed(3)}x`, t.measured.toFixed(2), `${t.measuredFraction.toFixed(3)}x`, `${(mine!.median / ref!.median).toFixed(3)}x`, t.met ? 'yes' : within ? 'within 10%' : 'no', `${(100 * r.report.drop.measured).toFixed(2)} pt`, Object.values(r.allocation.ratios).map((v) => v.toFixed(2)).join('/')]);
    r.model.dispose();
  }
  report.table('latency', {
    title: `Latency target 0.5x of dense on wasm (${CLOCK} clock): predicted (fitted model) vs measured`,
    columns: ['model', 'dense ms (fit)', 'predicted ÷ dense', 'measured ms', 'measured ÷ dense', `${CLOCK === 'cpu' ? 'wall' : 'cpu'} clock ÷ dense`, 'met (bound 0.5x)', 'accuracy drop', 'ratios per group'],
    rows,
    note: `Measured: median of ${pick(25, 3)} passes interleaved with the dense model. Load average at the end: ${load()} on 2 cores.`,
  });
  tf.dispose([train.x, train.y, val.x, val.y]);
}

async function speedup(report: Report, pool: SweepPool): Promise<void> {
  const model = smallCnn({ widths: pick([16, 32], [4, 8]), hidden: pick(64, 8), dropout: 0, seed: 3 });
  const x = tf.randomUniform([pick(384, 16), 28, 28, 1], 0, 1, 'float32', 1);
  const { labels } = references(model, { x });
  const roots = new Structure(model).roots;
  const ratios = pick([0.2, 0.4, 0.6, 0.8], [0.5]);
  await groupSensitivity(model, x, labels, { roots: roots.slice(0, 1), ratios: [0.5], pool }); // workers warm
  const wall: Record<'seq' | 'par', number[]> = { seq: [], par: [] };
  const cpu: Record<'seq' | 'par', number[]> = { seq: [], par: [] };
  let same = true;
  let reference = '';
  for (let round = 0; round < pick(2, 1); round++) {
    for (const kind of ['seq', 'par'] as const) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const rows = await groupSensitivity(model, x, labels, { roots, ratios, pool: kind === 'par' ? pool : undefined });
      wall[kind].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[kind].push((c.user + c.system) / 1000);
      if (kind === 'seq') reference = JSON.stringify(rows);
      else same &&= JSON.stringify(rows) === reference;
    }
  }
  const ws = median(wall.seq);
  const wp = median(wall.par);
  report.table('speedup', {
    title: `Sensitivity sweep (${roots.length} groups x ${ratios.length} ratios, ${x.shape[0]} samples): this thread vs 2 worker threads`,
    columns: ['run', 'wall ms (median)', 'process CPU ms', 'CPU ÷ wall'],
    rows: [
      ['sequential', num(ws), num(median(cpu.seq)), (median(cpu.seq) / ws).toFixed(2)],
      ['2 workers', num(wp), num(median(cpu.par)), (median(cpu.par) / wp).toFixed(2)],
      ['speedup', `${(ws / wp).toFixed(2)}x`, `${((2 * median(cpu.seq)) / median(cpu.par)).toFixed(2)}x`, ''],
    ],
    note: `Rows identical to the sequential run: ${same}. Load average ${load()} on 2 cores (shared machine); CPU ÷ wall shows how many cores the run got; the CPU speedup (2 x sequential CPU ÷ parallel CPU) is what 2 free cores would give.`,
  });
  if (!same) throw new Error('parallel sweep differs from the sequential one');
  x.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const info = await initBackend('wasm');
  console.log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}); load ${load()}`);
  const report = createReport({ bench: process.env.BUDGET_BENCH_NAME ?? (ONLY ? `budget-${ONLY === 'latency' ? 'latency-fit' : ONLY}` : 'budget'), settings: { smoke: SMOKE, loadAtStart: load(), only: ONLY ?? 'all', clock: CLOCK } });
  const pool = new SweepPool({ workers: 2 });
  try {
    // Results are written after every part: on a loaded shared machine a long run may be cut short.
    const checkpoint = (): void => {
      if (!SMOKE) report.write();
    };
    if (!ONLY || ONLY === 'sweep') await speedup(report, pool);
    checkpoint();
    let cnn: Model | undefined;
    if (!ONLY || ONLY === 'mnist' || ONLY === 'latency') cnn = await mnist(report, pool);
    checkpoint();
    // Smoke mode proves the sweep, the pool, the latency fit and one comparison run; the rest is too slow for it.
    if (cnn && SMOKE) report.table('latency-fit', { title: 'Latency model (smoke)', columns: LATENCY_FIT_COLUMNS, rows: [await latencyFit(cnn, 1)] });
    if (cnn && !SMOKE && (!ONLY || ONLY === 'latency')) await latency(report, cnn, pool);
    checkpoint();
    cnn?.dispose();
    if (!SMOKE && (!ONLY || ONLY === 'real')) await real(report, pool);
    checkpoint();
    if (!SMOKE && (!ONLY || ONLY === 'resnet')) await mnistResnet(report, pool);
  } finally {
    await pool.destroy();
  }
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors left`);
  report.write();
}

await main();
