import { ConfigError, ShapeError } from '@bonsai/core';
import { roundHalfEven } from '@bonsai/int8-kernels';
import type { ResolvedScheme } from './scheme';

/**
 * Scales and zero points of one quantized tensor: `x ≈ (q - zeroPoint) * scale`. Per-tensor
 * params have one entry; per-channel params one per index of `axis`.
 */
export interface QParams {
  readonly scale: Float32Array;
  readonly zeroPoint: Int32Array;
  /** Channel axis for per-channel params; undefined for per-tensor. */
  readonly axis: number | undefined;
  readonly qmin: number;
  readonly qmax: number;
  readonly bits: number;
  readonly signed: boolean;
  readonly symmetric: boolean;
}

/** Round half to even (banker's rounding), the rule of `tf.round` and `torch.round`: one definition, shared with the int8 kernels' reference. */
export { roundHalfEven };

/**
 * Scales and zero points covering `[min, max]` per channel (arrays of equal length; length 1 =
 * per-tensor). The range is widened to contain 0 so that zero (padding, pruned weights) is exact.
 * Symmetric: scale = max|x| / (2^(bits-1) - 1), zero point 0 (signed) or 2^(bits-1) (unsigned).
 * Affine: scale = (max - min) / (qmax - qmin), zero point = round(qmin - min / scale).
 * An all-zero channel gets scale 1.
 */
export function computeQParams(min: ArrayLike<number>, max: ArrayLike<number>, scheme: ResolvedScheme, axis?: number): QParams {
  if (min.length !== max.length || min.length === 0) throw new ShapeError(`computeQParams: min and max need the same non-zero length, got ${min.length} and ${max.length}`);
  const n = min.length;
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  const { qmin, qmax } = scheme;
  const half = 2 ** (scheme.bits - 1) - 1;
  for (let c = 0; c < n; c++) {
    const lo = Math.min(min[c]!, 0);
    const hi = Math.max(max[c]!, 0);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new ConfigError(`computeQParams: range [${min[c]}, ${max[c]}] of channel ${c} is not finite`);
    if (scheme.symmetric) {
      const m = Math.max(-lo, hi);
      scale[c] = m > 0 ? Math.fround(m / half) : 1;
      zeroPoint[c] = scheme.signed ? 0 : 2 ** (scheme.bits - 1);
    } else {
      const s = hi > lo ? Math.fround((hi - lo) / (qmax - qmin)) : 1;
      scale[c] = s;
      zeroPoint[c] = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / s)));
    }
    if (!(scale[c]! > 0)) scale[c] = 1; // a range too small for float32 scales: everything rounds to 0
  }
  return { scale, zeroPoint, axis: n > 1 || scheme.perChannel ? axis : undefined, qmin, qmax, bits: scheme.bits, signed: scheme.signed, symmetric: scheme.symmetric };
}

/** Number of channels (size of `axis`) and the stride of that axis in a row-major tensor. */
export function channelLayout(shape: readonly number[], axis: number | undefined): { channels: number; inner: number } {
  if (axis === undefined) return { channels: 1, inner: 1 };
  if (axis >= shape.length) throw new ConfigError(`axis ${axis} is out of range for shape [${shape.join(', ')}]`, { axis });
  return { channels: shape[axis]!, inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1) };
}

function checkParams(shape: readonly number[], qp: QParams): { channels: number; inner: number } {
  const lay = channelLayout(shape, qp.axis);
  if (qp.scale.length !== lay.channels) {
    throw new ConfigError(`quantization params hold ${qp.scale.length} scales, the tensor of shape [${shape.join(', ')}] has ${lay.channels} channels on axis ${qp.axis}`);
  }
  return lay;
}

/** Quantizes float values (row-major, `shape`) to integers in [qmin, qmax] (round half to even). */
export function quantizeArray(values: ArrayLike<number>, shape: readonly number[], qp: QParams): Int32Array {
  const { channels, inner } = checkParams(shape, qp);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    const q = roundHalfEven(values[i]! / qp.scale[c]!) + qp.zeroPoint[c]!;
    out[i] = Math.min(Math.max(q, qp.qmin), qp.qmax);
  }
  return out;
}

/** Dequantizes integers back to float32: `(q - zeroPoint) * scale` per channel. */
export function dequantizeArray(q: ArrayLike<number>, shape: readonly number[], qp: QParams): Float32Array {
  const { channels, inner } = checkParams(shape, qp);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = (q[i]! - qp.zeroPoint[c]!) * qp.scale[c]!;
  }
  return out;
}

/** Per-channel (or whole-tensor, `axis` undefined) min and max of row-major values. */
export function channelMinMax(values: ArrayLike<number>, shape: readonly number[], axis: number | undefined): { min: Float64Array; max: Float64Array } {
  const { channels, inner } = channelLayout(shape, axis);
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    const v = values[i]!;
    if (v < min[c]!) min[c] = v;
    if (v > max[c]!) max[c] = v;
  }
  for (let c = 0; c < channels; c++) if (min[c] === Infinity) { min[c] = 0; max[c] = 0; }
  return { min, max };
}
