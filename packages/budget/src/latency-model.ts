import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import type { SweepPool } from './pool';
import { uniformRatios, type Structure } from './structure';
import { runTimeTask, type TimeResult, type TimeTask } from './tasks';

/** Options of {@link measureLatencyTable}. */
export interface LatencyTableOptions {
  /** Samples per pass (default 1). */
  batch?: number;
  /** Uniform ratios timed besides the dense model (default 0.25, 0.5, 0.75, 0.9). */
  ratios?: readonly number[];
  /** Untimed passes per configuration (default 3). */
  warmup?: number;
  /** Timed rounds per configuration (default 15). */
  runs?: number;
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

/** A measured latency model: per-node time at several kept-work fractions, and the plain passes. */
export interface LatencyTable {
  /** Cache key: hash of graph, batch, settings and machine. */
  key: string;
  machine: MachineInfo;
  batch: number;
  /** One timed configuration each (dense first). */
  points: TimeResult[];
  /** Mean of (plain pass - sum of node times) over the points: executor and readback overhead. */
  overheadMs: number;
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
 * Measures the latency model of `model` on the current backend (wasm): the dense model and
 * uniformly pruned clones at `ratios` are each timed per node (every layer at several candidate
 * widths) and as a plain pass. Tables are cached as JSON under `cacheDir`, keyed by the
 * architecture hash, batch, settings and {@link machineInfo}. With `pool`, the configurations are
 * timed in the workers (each its own wasm backend; parallel timing on a loaded machine is noisier).
 */
export async function measureLatencyTable(model: Model, structure: Structure, options: LatencyTableOptions = {}): Promise<LatencyTable> {
  const batch = options.batch ?? 1;
  const ratios = options.ratios ?? [0.25, 0.5, 0.75, 0.9];
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 15;
  if (!Number.isInteger(batch) || batch < 1) throw new ConfigError(`measureLatencyTable: batch must be a positive integer, got ${batch}`, { option: 'batch' });
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new ConfigError('measureLatencyTable: runs must be a positive integer and warmup a non-negative one', { option: 'runs' });
  for (const r of ratios) if (!(r > 0 && r < 1)) throw new ConfigError(`measureLatencyTable: ratio ${r} is outside (0, 1)`, { option: 'ratios' });
  const machine = machineInfo();
  const key = createHash('sha256').update(JSON.stringify({ arch: architectureHash(model), batch, ratios, warmup, runs, machine })).digest('hex').slice(0, 24);
  const file = options.cacheDir === false ? undefined : path.join(options.cacheDir ?? path.join(tmpdir(), 'bonsai-latency'), `${key}.json`);
  if (file) {
    const hit = await readFile(file, 'utf8').then((s) => JSON.parse(s) as LatencyTable, () => undefined);
    if (hit?.key === key && Array.isArray(hit.points)) return { ...hit, cached: true };
  }
  const tasks: TimeTask[] = [0, ...ratios].map((r, i) => ({ ratios: r === 0 ? {} : uniformRatios(structure, r), batch, warmup, runs, seed: i }));
  const points = options.pool ? await options.pool.time(model, structure.nodes, tasks) : tasks.map((t) => runTimeTask(model, structure.nodes, t));
  const overheadMs = points.reduce((a, p) => a + p.totalMs - Object.values(p.nodeMs).reduce((s, v) => s + v, 0), 0) / points.length;
  const table: LatencyTable = { key, machine, batch, points, overheadMs, cached: false };
  if (file) {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(table));
    await rename(tmp, file);
  }
  return table;
}

/**
 * Time of one node at kept-work fraction `w`: piecewise linear through its measured (work, ms)
 * points; below the smallest measured work it stays at that point's time (fixed per-op costs do
 * not shrink with the channels, so extrapolating toward zero would promise time that is not there);
 * above the largest it follows the last segment.
 */
function nodeTime(points: ReadonlyArray<readonly [number, number]>, w: number): number {
  if (points.length === 1 || w <= points[0]![0]) return points[0]![1];
  let i = 1;
  while (i < points.length - 1 && points[i]![0] < w) i++;
  const [x0, y0] = points[i - 1]!;
  const [x1, y1] = points[i]!;
  return Math.max(0, x1 === x0 ? (y0 + y1) / 2 : y0 + ((y1 - y0) * (w - x0)) / (x1 - x0));
}

/** A predictor of whole-model latency (ms) from per-node kept-work fractions, built from a table. */
export function latencyPredictor(table: LatencyTable): (work: ReadonlyMap<NodeId, number>) => number {
  const curves = new Map<NodeId, Array<[number, number]>>();
  for (const p of table.points) {
    for (const [node, ms] of Object.entries(p.nodeMs)) {
      const w = p.work[node] ?? 1;
      const list = curves.get(node) ?? [];
      list.push([w, ms]);
      curves.set(node, list);
    }
  }
  // Equal fractions (nodes no ratio touches) average into one point.
  const merged = new Map<NodeId, Array<[number, number]>>();
  for (const [node, list] of curves) {
    const byW = new Map<number, number[]>();
    for (const [w, ms] of list) {
      const k = Math.round(w * 1e6) / 1e6;
      byW.set(k, [...(byW.get(k) ?? []), ms]);
    }
    merged.set(node, [...byW].map(([w, xs]): [number, number] => [w, xs.reduce((a, b) => a + b, 0) / xs.length]).sort((a, b) => a[0] - b[0]));
  }
  return (work) => {
    let total = table.overheadMs;
    for (const [node, pts] of merged) total += nodeTime(pts, work.get(node) ?? 1);
    return total;
  };
}
