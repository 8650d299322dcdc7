/**
 * Interleaved timing of variants (A, B, C, A, B, C, ...): load changes on a shared machine hit
 * every variant alike, and each round gives one paired ratio.
 */
import { summarize, type Summary } from './stats';

/** Options of {@link interleave}. */
export interface InterleaveOptions {
  /** Untimed rounds first (compilation, weight packing). Default 1. */
  warmup?: number;
  /** Timed rounds. Default 5. */
  runs?: number;
  /**
   * What a sample measures: `'wall'` (default) milliseconds, or `'cpu'`: this process's user +
   * system CPU milliseconds (Node's `process.cpuUsage`), steadier on a loaded shared machine
   * for single-threaded work.
   */
  clock?: 'wall' | 'cpu';
}

/** One variant's timings. */
export interface VariantTimes extends Summary {
  /** Milliseconds of each timed round, in round order. */
  samples: number[];
}

/** Result of {@link interleave}: per-variant samples and summaries, and paired ratios. */
export interface Interleaved<K extends string> {
  variants: Record<K, VariantTimes>;
  /**
   * Ratio `num / den` of the two variants' times, from the per-round ratios (round i of `num`
   * over round i of `den`): median and interquartile spread.
   */
  ratio(num: K, den: K): Summary;
}

/** Something to time: a sync or async function; its wall time is one sample. */
export type Timed = () => unknown;

/**
 * Runs every variant once per round, in the same order each round, `warmup` untimed rounds then
 * `runs` timed ones, and returns each variant's samples (ms) with median and spread.
 * A function returning a promise is awaited inside its timing.
 */
export async function interleave<K extends string>(variants: Record<K, Timed>, options: InterleaveOptions = {}): Promise<Interleaved<K>> {
  const warmup = options.warmup ?? 1;
  const runs = options.runs ?? 5;
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`interleave: warmup must be an integer >= 0, got ${warmup}`);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`interleave: runs must be an integer >= 1, got ${runs}`);
  const keys = Object.keys(variants) as K[];
  if (keys.length === 0) throw new RangeError('interleave: no variants');
  const now = clockOf(options.clock ?? 'wall');
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + runs; round++) {
    for (const k of keys) {
      const t0 = now();
      const r = variants[k]();
      if (r instanceof Promise) await r;
      const ms = now() - t0;
      if (round >= warmup) samples[k].push(ms);
    }
  }
  const out = Object.fromEntries(keys.map((k) => [k, { ...summarize(samples[k]), samples: samples[k] }])) as Record<K, VariantTimes>;
  return {
    variants: out,
    ratio(num, den) {
      const a = samples[num];
      const b = samples[den];
      if (!a || !b) throw new RangeError(`interleave: unknown variant ${!a ? num : den}`);
      return summarize(a.map((v, i) => v / b[i]!));
    },
  };
}

/** A millisecond clock: wall time, or this process's CPU time (user + system). */
function clockOf(clock: 'wall' | 'cpu'): () => number {
  if (clock === 'wall') return () => performance.now();
  if (clock !== 'cpu') throw new RangeError(`interleave: clock must be 'wall' or 'cpu', got ${String(clock)}`);
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

/** Wall time of a synchronous `fn` in milliseconds. */
export function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Milliseconds since `t0` (a `performance.now()` value). */
export function since(t0: number): number {
  return performance.now() - t0;
}
