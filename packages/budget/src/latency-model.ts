import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import type { SweepPool } from './pool';
import { fitConfigurations, fitLatency, latencyTerms, predictorOf, type LatencyFit, type LatencySample } from './latency-fit';
import type { Ratios, Structure } from './structure';
import { runTimeTask, type LatencyClock, type PassTimes, type TimeTask } from './tasks';

/** Options of {@link measureLatencyTable}. */
export interface LatencyTableOptions {
  /** Samples per pass (default 1). */
  batch?: number;
  /** Width configurations timed: dense, uniform 0.25/0.5/0.75/0.9, then random per-group ratios (default: 2 per fitted term + 6, at least 12). */
  configs?: number;
  /** Untimed passes per configuration (default 2). */
  warmup?: number;
  /** Interleaved rounds (each times every configuration once; default 25): the median pass per configuration is fitted. */
  runs?: number;
  /** Seed of the random configurations (default 0). */
  seed?: number;
  /** Clock of each pass (default 'wall'; see {@link TimingOptions.clock}). With a pool, always wall (workers share the process). */
  clock?: LatencyClock;
  /** Folder of cached tables (default `<tmpdir>/bonsai-latency`); `false` disables the cache. */
  cacheDir?: string | false;
  /** Time configurations in this pool's workers (default: in this thread). */
  pool?: SweepPool;
}

/** The machine and runtime a latency table was measured on (part of its cache key). */
export interface MachineInfo {
  cpu: string;
  cores: number;
  platform: string;
  node: string;
  tfjs: string;
  backend: string;
}

/** A measured latency model: timed plain passes of width configurations and the fit through them. */
export interface LatencyTable {
  /** Cache key: hash of graph, batch, settings and machine. */
  key: string;
  machine: MachineInfo;
  batch: number;
  clock: LatencyClock;
  /** One timed configuration each (dense first): median ms of a plain pass, as inference runs it (and the fastest). */
  points: Array<LatencySample & { minMs: number }>;
  /** Nonnegative least-squares fit of the points (see {@link fitLatency}). */
  fit: LatencyFit;
  /** Whether the table came from the cache. */
  cached: boolean;
}

/** The machine facts of this process (cpu model, cores, platform, Node, tfjs and backend). */
export function machineInfo(): MachineInfo {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, platform: `${process.platform}-${process.arch}`, node: process.version, tfjs: tf.version_core, backend: tf.getBackend() };
}

/**
 * Hash of what latency depends on: the graph (ops, attributes, shapes) and param shapes; weight
 * values are left out (dense float32 kernels run the same whatever their values).
 */
export function architectureHash(model: Model): string {
  const shapes = [...model.params].map(([n, p]) => `${n}:${p.shape.join('x')}`).sort().join(';');
  return createHash('sha256').update(canonical(model.graph.toJSON())).update(shapes).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted (attribute order differs between a graph and its clone). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Measures the latency model of `model` on the current backend (wasm) at batch `batch`: plain
 * inference passes (what `model.forward` runs, fused kernels included) of the dense model and of
 * pruned clones at mixed per-group widths, timed in interleaved rounds so load changes hit every
 * configuration alike; then {@link fitLatency} fits a fixed time plus a nonnegative cost per
 * term (nodes sharing a width dependence). Tables are cached as JSON under `cacheDir`, keyed by
 * the architecture hash, batch, settings and {@link machineInfo}. With `pool`, the configurations
 * are split over the workers (each its own wasm backend, each also timing the dense model, to
 * which its times are scaled).
 * @throws ConfigError for a bad batch, runs, warmup or configs.
 */
export async function measureLatencyTable(model: Model, structure: Structure, options: LatencyTableOptions = {}): Promise<LatencyTable> {
  const batch = options.batch ?? 1;
  const warmup = options.warmup ?? 2;
  const runs = options.runs ?? 25;
  const seed = options.seed ?? 0;
  const terms = latencyTerms(structure);
  const count = options.configs ?? Math.max(12, 2 * terms.length + 6);
  if (!Number.isInteger(batch) || batch < 1) throw new ConfigError(`measureLatencyTable: batch must be a positive integer, got ${batch}`, { option: 'batch' });
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new ConfigError('measureLatencyTable: runs must be a positive integer and warmup a non-negative one', { option: 'runs' });
  if (!Number.isInteger(count) || count < 2) throw new ConfigError(`measureLatencyTable: configs must be an integer >= 2, got ${count}`, { option: 'configs' });
  const machine = machineInfo();
  const clock = options.pool ? 'wall' : (options.clock ?? 'wall');
  const key = createHash('sha256').update(JSON.stringify({ arch: architectureHash(model), batch, count, warmup, runs, seed, clock, machine, v: 2 })).digest('hex').slice(0, 24);
  const file = options.cacheDir === false ? undefined : path.join(options.cacheDir ?? path.join(tmpdir(), 'bonsai-latency'), `${key}.json`);
  if (file) {
    const hit = await readFile(file, 'utf8').then((s) => JSON.parse(s) as LatencyTable, () => undefined);
    if (hit?.key === key && Array.isArray(hit.points) && hit.fit) return { ...hit, cached: true };
  }
  const configs = fitConfigurations(structure, count, seed);
  const times = options.pool ? await timeOnPool(model, configs, { batch, warmup, runs, seed }, options.pool) : await runTimeTask(model, { configs, batch, warmup, runs, seed, clock });
  const points = configs.map((ratios, i) => ({ ratios, ms: times[i]!.median, minMs: times[i]!.min }));
  const table: LatencyTable = { key, machine, batch, clock, points, fit: fitLatency(structure, points, terms), cached: false };
  if (file) {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(table));
    await rename(tmp, file);
  }
  return table;
}

/** Splits `configs` over the pool's workers (each chunk led by the dense model) and scales every chunk to the mean dense time. */
async function timeOnPool(model: Model, configs: readonly Ratios[], settings: Omit<TimeTask, 'configs'>, pool: SweepPool): Promise<PassTimes[]> {
  const chunks: number[][] = Array.from({ length: Math.min(pool.workers, configs.length - 1) }, () => [0]);
  for (let i = 1; i < configs.length; i++) chunks[(i - 1) % chunks.length]!.push(i);
  const results = await pool.time(model, chunks.map((c) => ({ ...settings, configs: c.map((i) => configs[i]!) })));
  const mean = (f: (t: PassTimes) => number): number => results.reduce((a, r) => a + f(r[0]!), 0) / results.length;
  const dense = { min: mean((t) => t.min), median: mean((t) => t.median) };
  const out = new Array<PassTimes>(configs.length).fill(dense);
  chunks.forEach((c, k) => c.forEach((i, j) => {
    const t = results[k]![j]!;
    const d = results[k]![0]!;
    if (i > 0) out[i] = { min: (t.min * dense.min) / d.min, median: (t.median * dense.median) / d.median };
  }));
  return out;
}

/** A predictor of whole-model latency (ms) from per-node kept-work fractions (`Structure.cost(r).work`), from a table's fit. */
export function latencyPredictor(table: LatencyTable): (work: ReadonlyMap<NodeId, number>) => number {
  return predictorOf(table.fit);
}
