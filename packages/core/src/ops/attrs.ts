import { ConfigError } from '../errors';
import type { Attrs, AttrValue } from '../ir/types';

/** Reads a positive integer attribute (or its default); throws ConfigError naming it. */
export function posInt(attrs: Attrs, key: string, op: string, fallback?: number): number {
  const v = attrs[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(`${op}: attribute "${key}" must be a positive integer, got ${JSON.stringify(v)}`, { op, key });
  }
  return v;
}

/** Reads a number attribute in [min, max]. */
export function num(attrs: Attrs, key: string, op: string, fallback: number, min = -Infinity, max = Infinity): number {
  const v = attrs[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(`${op}: attribute "${key}" must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`, { op, key });
  }
  return v;
}

/** Reads a boolean attribute. */
export function bool(attrs: Attrs, key: string, op: string, fallback: boolean): boolean {
  const v = attrs[key] ?? fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${op}: attribute "${key}" must be a boolean, got ${JSON.stringify(v)}`, { op, key });
  return v;
}

/** Reads a 2-vector attribute given as n or [h, w] of positive integers. */
export function pair(attrs: Attrs, key: string, op: string, fallback?: number): [number, number] {
  const v: AttrValue | undefined = attrs[key] ?? fallback;
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new ConfigError(`${op}: attribute "${key}" must be a positive integer or [h, w], got ${JSON.stringify(v)}`, { op, key });
}

/** Reads 'same' | 'valid'. */
export function padding(attrs: Attrs, op: string): 'same' | 'valid' {
  const v = attrs.padding ?? 'valid';
  if (v !== 'same' && v !== 'valid') throw new ConfigError(`${op}: attribute "padding" must be "same" or "valid", got ${JSON.stringify(v)}`, { op, key: 'padding' });
  return v;
}

/** Reads an array of positive integers. */
export function intList(attrs: Attrs, key: string, op: string): number[] {
  const v = attrs[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1 && x !== -1)) {
    throw new ConfigError(`${op}: attribute "${key}" must be a list of positive integers, got ${JSON.stringify(v)}`, { op, key });
  }
  return v as number[];
}

/** Spatial output size of a conv/pool window. */
export function outSize(inSize: number, k: number, stride: number, pad: 'same' | 'valid', dilation = 1): number {
  const ek = (k - 1) * dilation + 1;
  return pad === 'same' ? Math.ceil(inSize / stride) : Math.floor((inSize - ek) / stride) + 1;
}
