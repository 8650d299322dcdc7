import { checkInt, DatasetError } from '../errors';
import type { SampleSource } from '../sample-source';
import { writePixels, type PixelPlan } from './pixels';
import { resolvePreprocess, type Preprocess } from './preprocess';
import type { RawImage } from './raw-image';

/** How images become samples; shared by `imageFolder` (Node) and `imageFiles` (browser). */
export interface ImageOptions {
  /** Resize every image to `[height, width]` (bilinear). Without it all images must have the first image's size. */
  size?: readonly [number, number];
  /** With `size`: centre-crop to the target aspect ratio first instead of stretching (default false). */
  cropToAspectRatio?: boolean;
  /** Output channels: 3 (RGB, default) or 1 (gray). */
  channels?: 1 | 3;
  /** Convert gray/RGB and drop alpha to reach `channels` (default true); false: a mismatch is an error. */
  convertChannels?: boolean;
  /** Pixel normalization preset or custom `{ scale, mean, std }` (default `'[0,1]'`). */
  preprocess?: Preprocess;
  /** `'inferred'` (default): one subfolder per class; `'none'`: every image, unlabeled. */
  labels?: 'inferred' | 'none';
  /** Use these class folders, in this order (default: all subfolders, sorted by name). */
  classNames?: readonly string[];
  /**
   * Images decoding at once (default 8). With sharp, this many decode in libuv's threads even
   * while the main thread runs a synchronous training step, so a batch of up to this size is
   * ready when the step ends; each costs its decoded size (W x H x C bytes) meanwhile.
   */
  concurrency?: number;
  /** Skip files whose extension is not a supported image (default false: such a file is an error). */
  skipUnsupported?: boolean;
}

/** One image of a listing: where it is and its class. */
export interface ImageEntry {
  /** Path (Node) or relative path (browser), used in errors. */
  name: string;
  /** Class index; absent for unlabeled data. */
  label?: number;
  /** Position in the picked file list (browser). */
  file?: number;
}

/** A listing of images: entries and class names (absent when unlabeled). */
export interface ImageListing {
  entries: ImageEntry[];
  classes?: string[];
}

/** Decodes one entry of a listing. */
export type ImageDecoder = (entry: ImageEntry) => Promise<RawImage>;

/** Decodes and preprocesses one entry elsewhere (a worker thread), returning the sample's values. */
export type ImageOffload = (entry: ImageEntry, plan: PixelPlan, hw: readonly [number, number]) => Promise<Float32Array>;

/**
 * Builds the {@link SampleSource} of an image listing. Learns the sample shape from `size` or,
 * without it, by decoding the first image only. With `offload`, samples are prepared by it
 * (e.g. in worker threads) instead of on this thread.
 */
export async function imageSource(listing: ImageListing, decode: ImageDecoder, options: ImageOptions, offload?: ImageOffload): Promise<SampleSource> {
  const { entries, classes } = listing;
  if (entries.length === 0) throw new DatasetError('no images to read');
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new DatasetError(`channels must be 1 or 3, got ${String(channels)}`);
  const concurrency = options.concurrency ?? 8;
  checkInt('concurrency', concurrency, 1, 256);
  if (options.size) options.size.forEach((d, i) => checkInt(`size[${i}]`, d, 1, 65536));
  const plan: PixelPlan = {
    size: options.size ? [options.size[0], options.size[1]] : undefined,
    cropToAspectRatio: options.cropToAspectRatio ?? false,
    channels,
    convertChannels: options.convertChannels ?? true,
    norm: resolvePreprocess(options.preprocess, channels),
  };
  let first: RawImage | undefined;
  let hw: readonly [number, number];
  if (plan.size) {
    hw = plan.size;
  } else {
    first = await decode(entries[0] as ImageEntry);
    hw = [first.height, first.width];
  }
  const labels = classes ? Int32Array.from(entries, (e) => e.label ?? 0) : undefined;
  const sampleShape = [hw[0], hw[1], channels];
  return {
    sampleShape,
    classes,
    labels,
    count: entries.length,
    concurrency,
    name: (index) => (entries[index] as ImageEntry).name,
    async load(index, out, offset) {
      const entry = entries[index] as ImageEntry;
      if (offload && !(index === 0 && first)) {
        out.set(await offload(entry, plan, hw), offset);
        return;
      }
      const image = index === 0 && first ? first : await decode(entry);
      if (index === 0) first = undefined; // decoded once for the shape; later passes decode again
      writePixels(image, plan, out, offset, entry.name, hw);
    },
  };
}
