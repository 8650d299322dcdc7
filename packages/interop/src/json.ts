import { InteropError } from './errors';

/** A parsed JSON object. */
export type JsonObject = { readonly [key: string]: unknown };

/** Whether `v` is a plain (non-array) object. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property `key` of `obj` (never inherited ones such as `__proto__` or `constructor`). */
export function own(obj: JsonObject, key: string): unknown {
  return  Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A short, safe description of a JSON value for error messages. */
export function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  s ??= Object.prototype.toString.call(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Typed reader of one Keras layer config: each accessor validates its key and throws an
 * InteropError naming the layer, its class and the key.
 */
export class ConfigReader {
  constructor(
    readonly layer: string,
    readonly className: string,
    private readonly config: JsonObject,
  ) {}

  /** Raw value of `key` (own properties only). */
  raw(key: string): unknown {
    return own(this.config, key);
  }

  /** Throws an InteropError about `key`. */
  fail(key: string, expected: string): never {
    throw new InteropError(`Layer "${this.layer}" (${this.className}): config "${key}" must be ${expected}, got ${show(this.raw(key))}`, {
      layer: this.layer,
      className: this.className,
      key,
    });
  }

  /** A positive integer (or the default when absent). */
  posInt(key: string, fallback?: number): number {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) this.fail(key, 'a positive integer');
    return v as number;
  }

  /** A positive integer or a pair of them, returned as [h, w]. */
  pair(key: string, fallback?: number): [number, number] {
    const v = this.raw(key) ?? fallback;
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1;
    if (ok(v)) return [v, v];
    if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
    return this.fail(key, 'a positive integer or a pair of them');
  }

  /** A finite number in [min, max]. */
  num(key: string, fallback: number, min = -Infinity, max = Infinity): number {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(key, `a number in [${min}, ${max}]`);
    return v as number;
  }

  /** A boolean. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'a boolean');
    return v as boolean;
  }

  /** One of `allowed` strings. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(key) ?? fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(key, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return v as T;
  }

  /** Rejects data_format other than channels_last. */
  channelsLast(): void {
    const v = this.raw('data_format');
    if (v === undefined || v === null || v === 'channels_last') return;
    if (v === 'channels_first') {
      throw new InteropError(`Layer "${this.layer}" (${this.className}): data_format "channels_first" is not supported; Bonsai is NHWC (channels_last) only`, {
        layer: this.layer,
        className: this.className,
        key: 'data_format',
      });
    }
    this.fail('data_format', '"channels_last"');
  }
}
