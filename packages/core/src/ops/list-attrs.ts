import { ConfigError } from '../errors';
import type { AttrField } from './attrs';

const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * A list of non-negative integers (paddings, crops, axes, permutations), of exactly `length`
 * entries when given; `fallback` when omitted (else required).
 */
export function natListAttr(options: { length?: number; fallback?: readonly number[] } = {}): AttrField<readonly number[], readonly number[], boolean> {
  const { length, fallback } = options;
  const what = `a list of ${length ?? 'any number of'} non-negative integers`;
  return {
    type: `list of ${length ?? ''} non-negative integers`.replace('  ', ' '),
    optional: fallback !== undefined,
    read(attrs, key, op) {
      const v = attrs[key] ?? fallback;
      if (!Array.isArray(v) || (length !== undefined && v.length !== length) || v.some((x) => !isNat(x))) {
        throw new ConfigError(`${op}: attribute "${key}" must be ${what}, got ${JSON.stringify(v)}`, { op, key });
      }
      return [...(v as number[])];
    },
  };
}

/** A finite number or null (no value, e.g. ReLU without a cap); default null. */
export function nullableNumberAttr(): AttrField<number | null, number | null, true> {
  return {
    type: 'number or null',
    optional: true,
    read(attrs, key, op) {
      const v = attrs[key] ?? null;
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw new ConfigError(`${op}: attribute "${key}" must be a finite number or null, got ${JSON.stringify(v)}`, { op, key });
      }
      return v;
    },
  };
}
