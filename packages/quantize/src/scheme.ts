import { ConfigError } from '@bonsai/core';

/** Named integer types: `int8` [-128, 127], `uint8` [0, 255], `int4` [-8, 7]. */
export type QuantDtype = 'int8' | 'uint8' | 'int4';

/**
 * How a tensor is quantized (torch.ao `QConfig` / tfmot `QuantizeConfig` in one object).
 * `bits` and `signed` override what `dtype` implies (2..8 bits).
 */
export interface QuantScheme {
  /** Integer type (default `int8`). */
  dtype?: QuantDtype;
  /** Bit width 2..8 (default from `dtype`). */
  bits?: number;
  /** Signed integer range (default from `dtype`). */
  signed?: boolean;
  /** Symmetric: zero point fixed (0, or 2^(bits-1) unsigned), range ±max|x|. Affine otherwise. */
  symmetric?: boolean;
  /** One scale / zero point per channel along `axis` (weights only). */
  perChannel?: boolean;
  /** Channel axis of a weight (default: the param's output-channel axis). */
  axis?: number;
}

/** A {@link QuantScheme} with every field decided. */
export interface ResolvedScheme {
  readonly bits: number;
  readonly signed: boolean;
  readonly symmetric: boolean;
  readonly perChannel: boolean;
  readonly axis: number | undefined;
  /** Smallest integer (e.g. -128). */
  readonly qmin: number;
  /** Largest integer (e.g. 127). */
  readonly qmax: number;
}

const DTYPES: Record<QuantDtype, { bits: number; signed: boolean }> = {
  int8: { bits: 8, signed: true },
  uint8: { bits: 8, signed: false },
  int4: { bits: 4, signed: true },
};

/** Integer range of a bit width: signed [-2^(b-1), 2^(b-1)-1], unsigned [0, 2^b-1]. */
export function qRange(bits: number, signed: boolean): { qmin: number; qmax: number } {
  return signed ? { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

/**
 * Fills in defaults and validates; `what` names the tensor for error messages.
 * @throws ConfigError on an unknown dtype, bits outside 2..8, or a bad axis.
 */
export function resolveScheme(scheme: QuantScheme = {}, defaults: QuantScheme = {}, what = 'scheme'): ResolvedScheme {
  const s = { ...defaults, ...scheme };
  const dtype = s.dtype ?? 'int8';
  const base = DTYPES[dtype];
  if (!base) throw new ConfigError(`${what}: unknown dtype ${JSON.stringify(dtype)}; use "int8", "uint8" or "int4"`, { dtype });
  const bits = s.bits ?? base.bits;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new ConfigError(`${what}: bits must be an integer in [2, 8], got ${JSON.stringify(bits)}`, { bits });
  }
  const signed = s.signed ?? base.signed;
  const axis = s.axis;
  if (axis !== undefined && (!Number.isInteger(axis) || axis < 0)) {
    throw new ConfigError(`${what}: axis must be a non-negative integer, got ${JSON.stringify(axis)}`, { axis });
  }
  return { bits, signed, symmetric: s.symmetric ?? true, perChannel: s.perChannel ?? false, axis, ...qRange(bits, signed) };
}
