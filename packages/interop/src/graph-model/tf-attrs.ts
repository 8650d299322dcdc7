import { isObject, own, show, type JsonObject } from '../json';
import { nodeError } from './errors';

/** A TF NodeDef in model.json form: `attr` values are AttrValue protos as JSON. */
export interface TfNode {
  readonly name: string;
  readonly op: string;
  /** Data inputs (`name` or `name:k`); control inputs (`^name`) are dropped. */
  readonly input: readonly string[];
  readonly attr: JsonObject;
}

const decoder = new TextDecoder();

function b64(s: string): string {
  try {
    return decoder.decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
  } catch {
    return s;
  }
}

/** Typed reader of one node's attributes; every failure is an InteropError naming node, op and key. */
export class TfAttrs {
  constructor(private readonly node: TfNode) {}

  private fail(key: string, expected: string): never {
    throw nodeError(this.node.name, this.node.op, `attribute "${key}" must be ${expected}, got ${show(own(this.node.attr, key))}`, key);
  }

  private value(key: string): JsonObject | undefined {
    const v = own(this.node.attr, key);
    if (v === undefined) return undefined;
    if (!isObject(v)) this.fail(key, 'an AttrValue object');
    return v as JsonObject;
  }

  /** Whether the attribute is present. */
  has(key: string): boolean {
    return own(this.node.attr, key) !== undefined;
  }

  /** A string attribute (base64 in model.json), or `fallback`. */
  str(key: string, fallback?: string): string {
    const v = this.value(key);
    const s = v === undefined ? undefined : own(v, 's');
    if (typeof s === 'string') return b64(s);
    if (fallback !== undefined) return fallback;
    return this.fail(key, 'a string');
  }

  /** An integer attribute (int64 as a decimal string or number), or `fallback`. */
  int(key: string, fallback?: number): number {
    const v = this.value(key);
    const i = v === undefined ? undefined : own(v, 'i');
    const n = typeof i === 'string' ? Number(i) : i;
    if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
    if (i === undefined && fallback !== undefined) return fallback;
    return this.fail(key, 'an integer');
  }

  /** A float attribute, or `fallback`. */
  float(key: string, fallback: number): number {
    const v = this.value(key);
    const f = v === undefined ? undefined : own(v, 'f');
    if (f === undefined) return fallback;
    const n = typeof f === 'string' ? Number(f) : f;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
    return this.fail(key, 'a finite float');
  }

  /** A bool attribute, or `fallback`. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    const b = v === undefined ? undefined : own(v, 'b');
    if (b === undefined) return fallback;
    if (typeof b === 'boolean') return b;
    return this.fail(key, 'a boolean');
  }

  /** A list(int) attribute, or `fallback`. */
  ints(key: string, fallback?: readonly number[]): number[] {
    const v = this.value(key);
    const list = v === undefined ? undefined : own(v, 'list');
    if (list === undefined) {
      if (fallback !== undefined) return [...fallback];
      return this.fail(key, 'a list of integers');
    }
    if (!isObject(list)) return this.fail(key, 'a list of integers');
    const raw = own(list, 'i') ?? [];
    if (!Array.isArray(raw)) return this.fail(key, 'a list of integers');
    const out = raw.map((x) => (typeof x === 'string' ? Number(x) : x));
    if (out.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x))) return this.fail(key, 'a list of integers');
    return out as number[];
  }

  /** A list(string) attribute (base64 entries), or `fallback`. */
  strs(key: string, fallback: readonly string[]): string[] {
    const v = this.value(key);
    const list = v === undefined ? undefined : own(v, 'list');
    if (list === undefined) return [...fallback];
    const raw = isObject(list) ? (own(list, 's') ?? []) : undefined;
    if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string')) return this.fail(key, 'a list of strings');
    return (raw as string[]).map(b64);
  }

  /** A dtype attribute (`DT_FLOAT`, ...), or `fallback`. */
  dtype(key: string, fallback: string): string {
    const v = this.value(key);
    const t = v === undefined ? undefined : own(v, 'type');
    if (t === undefined) return fallback;
    if (typeof t === 'string') return t;
    return this.fail(key, 'a dtype');
  }

  /** A shape attribute as dims (-1 unknown), or undefined when absent or of unknown rank. */
  shape(key: string): number[] | undefined {
    const v = this.value(key);
    const s = v === undefined ? undefined : own(v, 'shape');
    if (s === undefined) return undefined;
    if (!isObject(s)) return this.fail(key, 'a shape');
    return shapeDims(s, () => this.fail(key, 'a shape'));
  }
}

/** Dims of a TensorShapeProto JSON (`{ dim: [{ size: "-1" }, ...] }`); undefined for unknown rank. */
export function shapeDims(s: JsonObject, fail: () => never): number[] | undefined {
  if (own(s, 'unknownRank') === true) return undefined;
  const dims = own(s, 'dim') ?? [];
  if (!Array.isArray(dims)) return fail();
  return dims.map((d) => {
    if (!isObject(d)) return fail();
    const size = own(d, 'size');
    const n = size === undefined ? 0 : typeof size === 'string' ? Number(size) : size;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < -1) return fail();
    return n;
  });
}

/** Encodes a string attribute value as model.json stores it (base64). */
export function strAttr(s: string): { s: string } {
  return { s: btoa(String.fromCharCode(...new TextEncoder().encode(s))) };
}

/** Encodes a list(int) attribute. */
export function intsAttr(xs: readonly number[]): { list: { i: string[] } } {
  return { list: { i: xs.map(String) } };
}

/** Encodes a list(string) attribute. */
export function strsAttr(xs: readonly string[]): { list: { s: string[] } } {
  return { list: { s: xs.map((x) => strAttr(x).s) } };
}

/** Encodes an int attribute. */
export function intAttr(i: number): { i: string } {
  return { i: String(i) };
}

/** The `T: DT_FLOAT` attribute most float ops carry. */
export const FLOAT_T = { T: { type: 'DT_FLOAT' } } as const;
