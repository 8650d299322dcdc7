import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, FORMAT, FORMAT_VERSION, MODEL_FILE, WEIGHTS_FILE, writeFilesAtomic, type Model, type ModelJSON, type ParamEntry } from '@bonsai/core';
import { toFloat16Bits } from './float16';

/** Weight types stock tfjs `io.decodeWeights` dequantizes. */
export type TfjsQuantDtype = 'uint8' | 'uint16' | 'float16';

/** Options of {@link encodeTfjsWeights} / {@link saveTfjsQuantized}. */
export interface TfjsExportOptions {
  /** Storage type (default uint8). */
  dtype?: TfjsQuantDtype;
  /** Which params to quantize: conv/dense `kernel`s (default) or every param; the rest stay float32. */
  params?: 'kernels' | 'all';
}

/**
 * Affine parameters in tfjs-converter's convention: the range is widened to contain 0 and nudged
 * so that 0 is exact; value = q * scale + min.
 */
export function tfjsAffineParams(min: number, max: number, dtype: 'uint8' | 'uint16'): { scale: number; min: number; qmax: number } {
  const qmax = dtype === 'uint8' ? 255 : 65535;
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  let scale = (hi - lo) / qmax;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  const zeroPoint = Math.round(-lo / scale);
  return { scale, min: -zeroPoint * scale, qmax };
}

/**
 * Affine per-tensor quantization of `values` in tfjs's manifest form (0 stays exactly 0, so
 * pruned weights stay pruned after stock tfjs computes `q * scale + min`).
 */
export function quantizeTfjsAffine(values: Float32Array, dtype: 'uint8' | 'uint16'): { bytes: Uint8Array; scale: number; min: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const a = tfjsAffineParams(lo, hi, dtype);
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.min(a.qmax, Math.max(0, Math.round((values[i]! - a.min) / a.scale)));
  return { bytes: new Uint8Array(q.buffer, q.byteOffset, q.byteLength), scale: a.scale, min: a.min };
}

/** Half-precision encoding of `values` (little-endian uint16 bit patterns). */
export function encodeFloat16(values: Float32Array): Uint8Array {
  return new Uint8Array(Uint16Array.from(values, toFloat16Bits).buffer);
}

/**
 * Encodes a model's effective weights as a tfjs weights manifest with `quantization` entries
 * (`{ dtype: 'uint8' | 'uint16', scale, min }` per tensor, or `{ dtype: 'float16' }`), the form
 * stock `tf.io.decodeWeights` and tfjs loaders dequantize. Per-tensor only (the tfjs format has
 * no per-channel scales). Masks are folded in.
 */
export async function encodeTfjsWeights(model: Model, options: TfjsExportOptions = {}): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] }> {
  const dtype = options.dtype ?? 'uint8';
  if (!['uint8', 'uint16', 'float16'].includes(dtype)) throw new ConfigError(`encodeTfjsWeights: dtype must be "uint8", "uint16" or "float16", got ${JSON.stringify(dtype)}`, { dtype });
  const which = options.params ?? 'kernels';
  if (which !== 'kernels' && which !== 'all') throw new ConfigError(`encodeTfjsWeights: params must be "kernels" or "all", got ${JSON.stringify(which)}`);
  const chunks: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const p of model.params.values()) {
    const values = tf.tidy(() => p.effective().dataSync() as Float32Array);
    const quantize = which === 'all' || p.role === 'kernel';
    const shape = [...p.shape];
    if (!quantize) {
      chunks.push(new Uint8Array(Float32Array.from(values).buffer));
      specs.push({ name: p.name, shape, dtype: 'float32' });
    } else if (dtype === 'float16') {
      chunks.push(encodeFloat16(values));
      specs.push({ name: p.name, shape, dtype: 'float32', quantization: { dtype: 'float16' } });
    } else {
      const r = quantizeTfjsAffine(values, dtype);
      chunks.push(r.bytes);
      specs.push({ name: p.name, shape, dtype: 'float32', quantization: { dtype, scale: r.scale, min: r.min } });
    }
  }
  const total = chunks.reduce((s, c) => s + c.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return { data: data.buffer, specs };
}

/**
 * Saves `model` in core's model.json + weights.bin format with tfjs-quantized weights: core's
 * `load(dir)` (which decodes with tfjs `io.decodeWeights`) loads it back as a float model.
 * Masks are folded in. Node only.
 */
export async function saveTfjsQuantized(model: Model, dir: string, options: TfjsExportOptions = {}): Promise<{ bytes: number }> {
  const { data, specs } = await encodeTfjsWeights(model, options);
  const params: ParamEntry[] = [...model.params.values()].map((p) => ({ name: p.name, trainable: p.trainable, masked: false }));
  const json: ModelJSON = { format: FORMAT, formatVersion: FORMAT_VERSION, graph: model.graph.toJSON(), seed: model.seed, params, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }] };
  const text = JSON.stringify(json);
  await writeFilesAtomic(dir, [{ name: WEIGHTS_FILE, data: new Uint8Array(data) }, { name: MODEL_FILE, data: text }]);
  return { bytes: data.byteLength + Buffer.byteLength(text) };
}
