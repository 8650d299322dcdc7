import { ConfigError, type Param } from '@bonsai/core';

/** A param's shape seen around one axis: `outer x axisSize x inner` (row-major). */
export interface AxisLayout {
  axis: number;
  outer: number;
  axisSize: number;
  inner: number;
}

/** Normalizes a (possibly negative, Python-style) axis of `p`; throws a ConfigError naming the param. */
export function normalizeAxis(p: Param, dim: number, option = 'dim'): number {
  const rank = p.shape.length;
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) {
    throw new ConfigError(`${p.name}: ${option}=${String(dim)} is out of range for a param of shape [${p.shape.join(', ')}] (rank ${rank})`, { param: p.name, [option]: dim });
  }
  return dim < 0 ? dim + rank : dim;
}

/** The layout of `p` around `axis` (already normalized). */
export function axisLayout(p: Param, axis: number): AxisLayout {
  const s = p.shape;
  const outer = s.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { axis, outer, axisSize: s[axis]!, inner };
}

/** Calls `fn(flatIndex)` for every entry of slice `c` along the layout's axis. */
export function forSlice(l: AxisLayout, c: number, fn: (i: number) => void): void {
  for (let o = 0; o < l.outer; o++) {
    const base = (o * l.axisSize + c) * l.inner;
    for (let j = 0; j < l.inner; j++) fn(base + j);
  }
}
