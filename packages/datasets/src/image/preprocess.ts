import { DatasetError } from '../errors';

/**
 * How 8-bit pixel values `p` become model inputs: `(p * scale - mean[c]) / std[c]` per channel `c`.
 * `mean` and `std` may be one number for every channel.
 */
export interface Normalization {
  /** Multiplies the raw 0..255 value first (default 1/255). */
  scale?: number;
  /** Subtracted after scaling (default 0). */
  mean?: number | readonly number[];
  /** Divides last (default 1). */
  std?: number | readonly number[];
}

/**
 * Presets matching how models are usually trained:
 * `'[0,1]'` p/255 (Keras `Rescaling(1/255)`, tfjs models); `'[-1,1]'` p/127.5 - 1 (MobileNet,
 * Inception: Keras `preprocess_input` mode "tf"); `'imagenet'` (p/255 - mean) / std with
 * mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] (torchvision, Keras mode "torch");
 * `'[0,255]'` raw values as float (models that rescale inside, e.g. Keras EfficientNet).
 */
export type PreprocessPreset = '[0,1]' | '[-1,1]' | 'imagenet' | '[0,255]';

/** A preset name or custom {@link Normalization}. */
export type Preprocess = PreprocessPreset | Normalization;

/** ImageNet channel means (RGB) on the [0, 1] scale. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (RGB) on the [0, 1] scale. */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

const PRESETS: Readonly<Record<PreprocessPreset, Normalization>> = {
  '[0,1]': { scale: 1 / 255 },
  '[-1,1]': { scale: 1 / 127.5, mean: 1 },
  imagenet: { scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD },
  '[0,255]': { scale: 1 },
};

/** A normalization resolved for a channel count: `value = raw * mul[c] + add[c]`. */
export interface ResolvedNormalization {
  mul: Float64Array;
  add: Float64Array;
}

/**
 * Resolves a preset or custom normalization for `channels` channels (default preset `'[0,1]'`).
 * @throws DatasetError for an unknown preset, per-channel values of the wrong length, or a zero std.
 */
export function resolvePreprocess(preprocess: Preprocess = '[0,1]', channels: number): ResolvedNormalization {
  const spec = typeof preprocess === 'string' ? PRESETS[preprocess] : preprocess;
  if (!spec) {
    throw new DatasetError(`preprocess must be one of ${Object.keys(PRESETS).join(', ')} or { scale, mean, std }, got ${JSON.stringify(preprocess)}`);
  }
  const scale = spec.scale ?? 1 / 255;
  const mean = perChannel('mean', spec.mean ?? 0, channels, preprocess);
  const std = perChannel('std', spec.std ?? 1, channels, preprocess);
  if (!Number.isFinite(scale)) throw new DatasetError(`preprocess.scale must be finite, got ${String(scale)}`);
  const mul = new Float64Array(channels);
  const add = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = std[c] as number;
    if (!(s !== 0 && Number.isFinite(s))) throw new DatasetError(`preprocess.std[${c}] must be finite and non-zero, got ${String(s)}`);
    mul[c] = scale / s;
    add[c] = -(mean[c] as number) / s;
  }
  return { mul, add };
}

function perChannel(name: string, value: number | readonly number[], channels: number, preprocess: Preprocess): readonly number[] {
  if (typeof value === 'number') return new Array<number>(channels).fill(value);
  if (value.length !== channels) {
    const what = typeof preprocess === 'string' ? `preset "${preprocess}"` : 'preprocess';
    throw new DatasetError(`${what} has ${value.length} ${name} values for ${channels}-channel images (give one value or ${channels})`);
  }
  return value;
}
