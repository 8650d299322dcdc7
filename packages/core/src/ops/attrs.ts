import { ConfigError } from '../errors';
import type { Attrs, AttrValue } from '../ir/types';

/**
 * One attribute of an op's schema: how to read and validate it. `T` is the normalized value,
 * `I` what a caller may pass (e.g. `3` for `[3, 3]`), `O` whether it may be omitted.
 */
export interface AttrField<T extends AttrValue | undefined = AttrValue | undefined, I = T, O extends boolean = boolean> {
  /** Human-readable type, for docs and error messages. */
  readonly type: string;
  /** Whether the attribute may be omitted (it has a default or is optional). */
  readonly optional: O;
  /** Reads attribute `key` (or its default); throws ConfigError naming op and key. */
  read(attrs: Attrs, key: string, op: string): T;
  /** Type-level only: what the builder accepts. */
  readonly input?: I;
}

/** An op's attribute schema: attribute name -> field. */
export type AttrSchema = Readonly<Record<string, AttrField>>;

/** Normalized attributes described by schema `S`. */
export type AttrsOf<S extends AttrSchema> = { readonly [K in keyof S]: S[K] extends AttrField<infer T, unknown, boolean> ? T : never };

type InputOf<F> = F extends AttrField<AttrValue | undefined, infer I, boolean> ? I : never;
type OptionalKeys<S> = { [K in keyof S]: S[K] extends AttrField<AttrValue | undefined, unknown, true> ? K : never }[keyof S];

/** What a caller (the builder) may pass for schema `S`: fields with defaults are optional. */
export type OptionsOf<S extends AttrSchema> = { [K in Exclude<keyof S, OptionalKeys<S>>]: InputOf<S[K]> } & { [K in OptionalKeys<S>]?: InputOf<S[K]> };

/** Reads every field of `schema` from `attrs` (the derived `normalizeAttrs`). */
export function readAttrs<S extends AttrSchema>(schema: S, attrs: Attrs, op: string): AttrsOf<S> {
  const out: Record<string, AttrValue | undefined> = {};
  for (const [key, field] of Object.entries(schema)) {
    const v = field.read(attrs, key, op);
    if (v !== undefined) out[key] = v;
  }
  return out as AttrsOf<S>;
}

function bad(op: string, key: string, what: string, v: unknown): ConfigError {
  return new ConfigError(`${op}: attribute "${key}" must be ${what}, got ${JSON.stringify(v)}`, { op, key });
}

const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;

/** A positive integer; required unless `fallback` is given. */
export function posIntAttr(): AttrField<number, number, false>;
export function posIntAttr(fallback: number): AttrField<number, number, true>;
export function posIntAttr(fallback?: number): AttrField<number, number, boolean> {
  return {
    type: 'positive integer',
    optional: fallback !== undefined,
    read(attrs, key, op) {
      const v = attrs[key] ?? fallback;
      if (!isPosInt(v)) throw bad(op, key, 'a positive integer', v);
      return v;
    },
  };
}

/** A finite number in [min, max] with a default. */
export function numberAttr(fallback: number, min = -Infinity, max = Infinity): AttrField<number, number, true> {
  return {
    type: `number in [${min}, ${max}]`,
    optional: true,
    read(attrs, key, op) {
      const v = attrs[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw bad(op, key, `a number in [${min}, ${max}]`, v);
      return v;
    },
  };
}

/** A boolean with a default. */
export function boolAttr(fallback: boolean): AttrField<boolean, boolean, true> {
  return {
    type: 'boolean',
    optional: true,
    read(attrs, key, op) {
      const v = attrs[key] ?? fallback;
      if (typeof v !== 'boolean') throw bad(op, key, 'a boolean', v);
      return v;
    },
  };
}

/** A 2-vector of positive integers given as n or [h, w]; required unless `fallback` is given. */
export function pairAttr(): AttrField<readonly [number, number], number | readonly [number, number], false>;
export function pairAttr(fallback: number): AttrField<readonly [number, number], number | readonly [number, number], true>;
export function pairAttr(fallback?: number): AttrField<readonly [number, number], number | readonly [number, number], boolean> {
  return {
    type: 'positive integer or [h, w]',
    optional: fallback !== undefined,
    read(attrs, key, op) {
      const v: AttrValue | undefined = attrs[key] ?? fallback;
      if (isPosInt(v)) return [v, v];
      if (Array.isArray(v) && v.length === 2 && isPosInt(v[0]) && isPosInt(v[1])) return [v[0], v[1]];
      throw bad(op, key, 'a positive integer or [h, w]', v);
    },
  };
}

/** An optional 2-vector (no default: `undefined` when omitted; the op's normalizeAttrs fills it). */
export function optionalPairAttr(): AttrField<readonly [number, number] | undefined, number | readonly [number, number], true> {
  const inner = pairAttr(1);
  return { type: inner.type, optional: true, read: (attrs, key, op) => (attrs[key] === undefined ? undefined : inner.read(attrs, key, op)) };
}

/** One of a fixed set of strings, with a default. */
export function enumAttr<V extends string>(values: readonly V[], fallback: V): AttrField<V, V, true> {
  return {
    type: values.map((v) => JSON.stringify(v)).join(' | '),
    optional: true,
    read(attrs, key, op) {
      const v = attrs[key] ?? fallback;
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw bad(op, key, values.map((x) => `"${x}"`).join(' or '), v);
      return v as V;
    },
  };
}

/** A required list of positive integers (`-1` allowed when `allowMinusOne`). */
export function intListAttr(allowMinusOne = false): AttrField<readonly number[], readonly number[], false> {
  return {
    type: allowMinusOne ? 'list of positive integers (one may be -1)' : 'list of positive integers',
    optional: false,
    read(attrs, key, op) {
      const v = attrs[key];
      if (!Array.isArray(v) || v.some((x) => !(isPosInt(x) || (allowMinusOne && x === -1)))) {
        throw bad(op, key, allowMinusOne ? 'a list of positive integers (or -1)' : 'a list of positive integers', v);
      }
      return [...(v as number[])];
    },
  };
}

/** A non-negative integer; required unless `fallback` is given. */
export function indexAttr(fallback: number): AttrField<number, number, true> {
  return {
    type: 'non-negative integer',
    optional: true,
    read(attrs, key, op) {
      const v = attrs[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(op, key, 'a non-negative integer', v);
      return v;
    },
  };
}

/** Spatial output size of a conv/pool window. */
export function outSize(inSize: number, k: number, stride: number, pad: 'same' | 'valid', dilation = 1): number {
  const ek = (k - 1) * dilation + 1;
  return pad === 'same' ? Math.ceil(inSize / stride) : Math.floor((inSize - ek) / stride) + 1;
}

/** Reads a positive integer attribute (or its default); throws ConfigError naming it. */
export function posInt(attrs: Attrs, key: string, op: string, fallback?: number): number {
  return (fallback === undefined ? posIntAttr() : posIntAttr(fallback)).read(attrs, key, op);
}

/** Reads a number attribute in [min, max]. */
export function num(attrs: Attrs, key: string, op: string, fallback: number, min = -Infinity, max = Infinity): number {
  return numberAttr(fallback, min, max).read(attrs, key, op);
}

/** Reads a boolean attribute. */
export function bool(attrs: Attrs, key: string, op: string, fallback: boolean): boolean {
  return boolAttr(fallback).read(attrs, key, op);
}

/** Reads a 2-vector attribute given as n or [h, w] of positive integers. */
export function pair(attrs: Attrs, key: string, op: string, fallback?: number): readonly [number, number] {
  return (fallback === undefined ? pairAttr() : pairAttr(fallback)).read(attrs, key, op);
}

/** Reads 'same' | 'valid' (default 'valid'). */
export function padding(attrs: Attrs, op: string): 'same' | 'valid' {
  return enumAttr(['same', 'valid'] as const, 'valid').read(attrs, 'padding', op);
}

/** Reads an array of positive integers (or -1). */
export function intList(attrs: Attrs, key: string, op: string): readonly number[] {
  return intListAttr(true).read(attrs, key, op);
}
