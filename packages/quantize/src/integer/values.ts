import { roundHalfEven } from '../qparams';
import type { QParams } from '../qparams';

/** An activation held as int8 integers with its (per-tensor) quantization. */
export interface Int8Value {
  readonly data: Int8Array;
  readonly shape: readonly number[];
  readonly qp: QParams;
}

/** True when `qp` is a per-tensor int8 grid the kernels take (integers within [-128, 127]). */
export function isInt8Grid(qp: QParams | undefined): qp is QParams {
  return !!qp && qp.scale.length === 1 && qp.bits === 8 && qp.qmin >= -128 && qp.qmax <= 127;
}

/**
 * Float32 values to int8 on `qp` exactly as fakeQuant rounds them: round_half_even(f32(x / s)) + zp,
 * clipped to [qmin, qmax]. Values already on the grid ((q - zp) * s) come back as q.
 */
export function toInt8(values: Float32Array, shape: readonly number[], qp: QParams): Int8Value {
  const s = qp.scale[0]!;
  const zp = qp.zeroPoint[0]!;
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(Math.max(roundHalfEven(Math.fround(values[i]! / s)) + zp, qp.qmin), qp.qmax);
  return { data: out, shape, qp };
}

/** int8 values back to float32: f32((q - zp) * s), the value fakeQuant produces. */
export function toFloat(v: Int8Value): Float32Array {
  const s = v.qp.scale[0]!;
  const zp = v.qp.zeroPoint[0]!;
  const out = new Float32Array(v.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (v.data[i]! - zp) * s;
  return out;
}

/** Centered integers q - zp as float32 (what grid-preserving ops such as ReLU and max pooling commute with). */
export function centered(v: Int8Value): Float32Array {
  const zp = v.qp.zeroPoint[0]!;
  const out = new Float32Array(v.data.length);
  for (let i = 0; i < out.length; i++) out[i] = v.data[i]! - zp;
  return out;
}

/** Centered integers back to int8 on `qp` (inverse of {@link centered}). */
export function fromCentered(values: Float32Array, shape: readonly number[], qp: QParams): Int8Value {
  const zp = qp.zeroPoint[0]!;
  const out = new Int8Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i]! + zp;
  return { data: out, shape, qp };
}
