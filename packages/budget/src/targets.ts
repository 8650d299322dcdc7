import { ConfigError } from '@bonsai/core';

/** Quantities a budget can bound. */
export type TargetMetric = 'macs' | 'params' | 'latencyMs' | 'sizeBytes';

/** A bound: an absolute value (MACs per sample, params, ms, bytes), or `{ fraction }` of the dense model's value. */
export type TargetValue = number | { readonly fraction: number };

/** Budget: upper bounds on any of the metrics; all given ones must hold. */
export type Targets = Partial<Record<TargetMetric, TargetValue>>;

/** A target resolved against the dense model. */
export interface ResolvedTarget {
  metric: TargetMetric;
  /** The bound, absolute. */
  limit: number;
  /** The dense model's value. */
  dense: number;
  /** What the user asked, for reports (`0.5x` or the number). */
  asked: string;
}

/** All target metrics, in report order. */
export const TARGET_METRICS: readonly TargetMetric[] = ['macs', 'params', 'latencyMs', 'sizeBytes'];

const ALIASES: Record<string, TargetMetric> = { macs: 'macs', params: 'params', latency: 'latencyMs', latencyms: 'latencyMs', size: 'sizeBytes', sizebytes: 'sizeBytes' };
const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, kb: 1e3, mb: 1e6, kib: 1024, mib: 1024 ** 2, ms: 1 };

/**
 * Parses CLI target strings such as `latency=0.5x`, `macs=2e6`, `size=1MB`, `params=0.3x`
 * (several separated by commas): `x` marks a fraction of the dense model.
 * @throws ConfigError naming the bad entry.
 */
export function parseTargets(text: string): Targets {
  const out: Targets = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-zA-Z]+)\s*=\s*([0-9.eE+-]+)\s*([a-zA-Z]*)$/.exec(part);
    const metric = m ? ALIASES[m[1]!.toLowerCase()] : undefined;
    const value = m ? Number(m[2]) : Number.NaN;
    const unit = m ? m[3]!.toLowerCase() : '';
    if (!m || !metric || !Number.isFinite(value) || value <= 0 || (unit !== 'x' && UNITS[unit] === undefined)) {
      throw new ConfigError(`target "${part}" is not <metric>=<value>[x|unit] with metric macs, params, latency or size (e.g. latency=0.5x, size=1MB)`, { option: 'target' });
    }
    out[metric] = unit === 'x' ? { fraction: value } : value * UNITS[unit]!;
  }
  if (Object.keys(out).length === 0) throw new ConfigError('target: give at least one of macs, params, latency, size (e.g. latency=0.5x)', { option: 'target' });
  return out;
}

/** Resolves `targets` against the dense values; throws ConfigError for a non-positive bound or an unknown metric. */
export function resolveTargets(targets: Targets, dense: Record<TargetMetric, number | undefined>): ResolvedTarget[] {
  if (targets === null || typeof targets !== 'object') throw new ConfigError('compressToBudget: target must be an object such as { latencyMs: { fraction: 0.5 } }', { option: 'target' });
  const out: ResolvedTarget[] = [];
  for (const key of Object.keys(targets)) {
    if (!TARGET_METRICS.includes(key as TargetMetric)) throw new ConfigError(`target "${key}" is unknown; use ${TARGET_METRICS.join(', ')}`, { option: 'target' });
  }
  for (const metric of TARGET_METRICS) {
    const v = targets[metric];
    if (v === undefined) continue;
    const d = dense[metric];
    if (d === undefined) throw new ConfigError(`target ${metric}: the dense value is unknown`, { option: 'target' });
    const limit = typeof v === 'number' ? v : v.fraction * d;
    const asked = typeof v === 'number' ? String(v) : `${v.fraction}x`;
    if (!(limit > 0) || !Number.isFinite(limit)) throw new ConfigError(`target ${metric}=${asked} must be a positive number or fraction`, { option: 'target' });
    out.push({ metric, limit, dense: d, asked });
  }
  if (!out.length) throw new ConfigError('compressToBudget: target names no metric (macs, params, latencyMs, sizeBytes)', { option: 'target' });
  return out;
}
