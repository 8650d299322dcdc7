import { DatasetError } from '../errors';
import type { RawImage } from './raw-image';
import type { ResolvedNormalization } from './preprocess';

/** How decoded images become one sample's float32 values (`[height, width, channels]`, HWC). */
export interface PixelPlan {
  /** Output `[height, width]`: images are resized to it (bilinear); absent: images must all be `expected` size. */
  size?: readonly [number, number];
  /** With `size`: crop the largest centred box of the target aspect ratio before resizing (no distortion). */
  cropToAspectRatio: boolean;
  /** Output channels: 1 (gray) or 3 (RGB). */
  channels: 1 | 3;
  /** Convert gray <-> RGB and drop alpha (true), or require the image's colour channels to match (false). */
  convertChannels: boolean;
  norm: ResolvedNormalization;
}

/** ITU-R 601 luma weights (as PIL's `convert('L')` and `tf.image.rgb_to_grayscale`). */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Writes `image` as one sample into `out` at `offset`: optional centre crop, bilinear resize with
 * half-pixel centres (`tf.image.resize` / Keras `image_dataset_from_directory` semantics, no
 * antialiasing), channel conversion, then normalization.
 * @param expected the sample's `[height, width]` when the plan has no `size` (all images must match it)
 * @throws DatasetError naming `name` for a size or channel mismatch.
 */
export function writePixels(image: RawImage, plan: PixelPlan, out: Float32Array, offset: number, name: string, expected?: readonly [number, number]): void {
  const { width, height, channels: sc, data } = image;
  if (data.length < width * height * sc || width < 1 || height < 1) {
    throw new DatasetError(`decoded image is ${width}x${height}x${sc} but holds ${data.length} bytes`, name);
  }
  const colour = sc >= 3 ? 3 : 1;
  if (!plan.convertChannels && colour !== plan.channels) {
    throw new DatasetError(`image has ${sc} channel(s), the dataset has ${plan.channels} (set convertChannels: true to convert)`, name);
  }
  const [outH, outW] = plan.size ?? expected ?? [height, width];
  if (!plan.size && (outH !== height || outW !== width)) {
    throw new DatasetError(`image is ${height}x${width} (HxW), other images are ${outH}x${outW}: pass size: [h, w] to resize`, name);
  }
  const box = plan.size && plan.cropToAspectRatio ? centreCrop(height, width, outH, outW) : { top: 0, left: 0, h: height, w: width };
  const rows = axisTaps(box.h, outH, box.top);
  const cols = axisTaps(box.w, outW, box.left);
  const c = plan.channels;
  const { mul, add } = plan.norm;
  const rowStride = width * sc;
  const col0 = Int32Array.from(cols.lo, (v) => v * sc);
  const col1 = Int32Array.from(cols.hi, (v) => v * sc);
  const v = new Float64Array(colour);
  for (let y = 0; y < outH; y++) {
    const r0 = (rows.lo[y] as number) * rowStride;
    const r1 = (rows.hi[y] as number) * rowStride;
    const wy = rows.frac[y] as number;
    let o = offset + y * outW * c;
    for (let x = 0; x < outW; x++) {
      const a = r0 + (col0[x] as number);
      const b = r0 + (col1[x] as number);
      const d = r1 + (col0[x] as number);
      const e = r1 + (col1[x] as number);
      const wx = cols.frac[x] as number;
      for (let k = 0; k < colour; k++) {
        const tl = data[a + k] as number;
        const bl = data[d + k] as number;
        const top = tl + ((data[b + k] as number) - tl) * wx;
        const bottom = bl + ((data[e + k] as number) - bl) * wx;
        v[k] = top + (bottom - top) * wy;
      }
      if (colour === c) {
        for (let k = 0; k < c; k++) out[o + k] = (v[k] as number) * (mul[k] as number) + (add[k] as number);
      } else if (c === 1) {
        out[o] = (LUMA[0] * (v[0] as number) + LUMA[1] * (v[1] as number) + LUMA[2] * (v[2] as number)) * (mul[0] as number) + (add[0] as number);
      } else {
        for (let k = 0; k < 3; k++) out[o + k] = (v[0] as number) * (mul[k] as number) + (add[k] as number);
      }
      o += c;
    }
  }
}

/** Keras `smart_resize`'s crop: the largest centred box with the target aspect ratio (integer pixels). */
export function centreCrop(height: number, width: number, outH: number, outW: number): { top: number; left: number; h: number; w: number } {
  const h = Math.min(height, Math.trunc((width * outH) / outW));
  const w = Math.min(width, Math.trunc((height * outW) / outH));
  return { top: Math.trunc((height - h) / 2), left: Math.trunc((width - w) / 2), h: Math.max(1, h), w: Math.max(1, w) };
}

/** Source taps of a half-pixel-centred bilinear resize along one axis (as tfjs' ResizeBilinear). */
function axisTaps(inSize: number, outSize: number, start: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const ratio = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const f = inSize === outSize ? i : ratio * (i + 0.5) - 0.5;
    const fl = Math.floor(f);
    lo[i] = start + Math.max(0, fl);
    hi[i] = start + Math.min(inSize - 1, Math.ceil(f));
    frac[i] = f - fl;
  }
  return { lo, hi, frac };
}
