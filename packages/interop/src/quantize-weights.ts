import { toFloat16Bits } from './float16';

/** Weight storage of an exported model: tfjs-manifest dtypes that stock loaders dequantize. */
export type WeightQuantization = 'uint8' | 'uint16' | 'float16';

/** tfjs manifest `quantization` field. */
export interface ManifestQuantization {
  dtype: WeightQuantization;
  scale?: number;
  min?: number;
  original_dtype: 'float32';
}

/**
 * Affine per-tensor quantization as tfjs's converter does it: the range is widened to include 0
 * and nudged so that 0 is exactly representable (pruned zeros stay zeros after dequantization,
 * which stock tfjs computes as `q * scale + min`).
 */
export function quantizeAffine(values: Float32Array, dtype: 'uint8' | 'uint16'): { bytes: Uint8Array; scale: number; min: number } {
  const qmax = dtype === 'uint8' ? 255 : 65535;
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  let scale = (hi - lo) / qmax;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  const zero = Math.round(-lo / scale);
  const min = -zero * scale;
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.min(qmax, Math.max(0, Math.round((values[i]! - min) / scale)));
  return { bytes: new Uint8Array(q.buffer, q.byteOffset, q.byteLength), scale, min };
}

/** Half-precision encoding (little-endian uint16 bit patterns). */
export function quantizeFloat16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return new Uint8Array(out.buffer);
}
