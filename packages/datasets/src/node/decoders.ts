import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { IoError } from '@bonsai/core';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DatasetError } from '../errors';
import { readHeader } from '../image/header';
import { formatOfName, sniffFormat, type RawImage } from '../image/raw-image';

/** Which Node decoder reads images: `'sharp'` (libvips, native), `'js'` (jpeg-js + pngjs), or `'auto'` (sharp when installed). */
export type DecoderName = 'auto' | 'sharp' | 'js';

/** Decodes one image file. */
export type FileDecoder = (file: string) => Promise<RawImage>;

type SharpModule = typeof import('sharp').default;
let sharpModule: Promise<SharpModule | undefined> | undefined;

/** sharp, when its optional dependency is installed (its prebuilt binary loads), else undefined. */
export function loadSharp(): Promise<SharpModule | undefined> {
  const loading = sharpModule ?? import('sharp').then(
    (m) => m.default,
    () => undefined,
  );
  sharpModule = loading;
  return loading;
}

/**
 * The decoder `name` resolves to here: `'auto'` picks sharp when it loads, else the pure-JS one.
 * @throws DatasetError when `'sharp'` is asked for and not installed.
 */
export async function resolveDecoder(name: DecoderName = 'auto'): Promise<{ name: 'sharp' | 'js'; decode: FileDecoder }> {
  if (name !== 'auto' && name !== 'sharp' && name !== 'js') throw new DatasetError(`decoder must be auto, sharp or js, got ${JSON.stringify(name)}`);
  if (name === 'js') return { name: 'js', decode: decodeWithJs };
  const sharp = await loadSharp();
  if (sharp) return { name: 'sharp', decode: (file) => decodeWithSharp(sharp, file) };
  if (name === 'sharp') throw new DatasetError('decoder "sharp" needs the optional dependency sharp (npm install sharp)');
  return { name: 'js', decode: decodeWithJs };
}

/**
 * One libvips operation per image, issued synchronously (file read with `readFileSync`, header
 * parsed on the spot), so the whole decode runs in libuv's threads even while the main thread is
 * busy with a synchronous training step: that is what lets a prefetched batch load meanwhile.
 */
function decodeWithSharp(sharp: SharpModule, file: string): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = readBytesSync(file);
  } catch (error) {
    return Promise.reject(error);
  }
  const header = readHeader(bytes);
  if (!header) return Promise.reject(notAnImage(file));
  // Gray stays gray (libvips would output sRGB); CMYK and 16-bit images become 8-bit sRGB.
  // EXIF orientation is ignored, as training loaders (PIL, tf.io.decode_image) do.
  const space = header.gray ? 'b-w' : 'srgb';
  return sharp(bytes, { failOn: 'warning' })
    .toColourspace(space)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .then(
      ({ data, info }): RawImage => ({ data, width: info.width, height: info.height, channels: info.channels }),
      (cause: unknown) => {
        throw corrupt(file, cause);
      },
    );
}

/** Decodes JPEG (jpeg-js) and PNG (pngjs) in plain JavaScript; WebP needs sharp. */
export async function decodeWithJs(file: string): Promise<RawImage> {
  return decodeBytesWithJs(await readBytes(file), file);
}

/** {@link decodeWithJs} on bytes already read; `file` names them in errors. */
export function decodeBytesWithJs(bytes: Uint8Array, file: string): RawImage {
  const format = checkFormat(bytes, file);
  try {
    if (format === 'jpeg') {
      const { data, width, height } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
      return { data, width, height, channels: data.length / (width * height) };
    }
    if (format === 'png') {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return fromRgba(png.data, png.width, png.height, pngChannels(png.colorType));
    }
  } catch (cause) {
    throw corrupt(file, cause);
  }
  throw new DatasetError('WebP decoding in Node needs the optional dependency sharp (npm install sharp)', file);
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw unreadable(file, cause);
  }
}

function readBytesSync(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw unreadable(file, cause);
  }
}

function unreadable(file: string, cause: unknown): IoError {
  return new IoError('cannot read image file', { path: file, reason: (cause as NodeJS.ErrnoException).code, cause });
}

/** The file's format by content; a wrong or unknown signature is an error naming the file. */
function checkFormat(bytes: Uint8Array, file: string): 'jpeg' | 'png' | 'webp' {
  const format = sniffFormat(bytes);
  if (!format) throw notAnImage(file);
  return format;
}

function notAnImage(file: string): DatasetError {
  const byName = formatOfName(file);
  return new DatasetError(`not a JPEG, PNG or WebP image${byName ? ` (named .${byName} but its first bytes say otherwise)` : ''}; the file may be corrupt or empty`, file);
}

function corrupt(file: string, cause: unknown): DatasetError {
  const error = new DatasetError(`corrupt or truncated image (${cause instanceof Error ? cause.message : String(cause)})`, file);
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}

/** Channels a PNG colour type stores (pngjs expands everything to RGBA). */
function pngChannels(colorType: number): number {
  if (colorType === 0) return 1;
  if (colorType === 4) return 2;
  if (colorType === 6) return 4;
  return 3;
}

/** Keeps the first `channels` meaningful channels of RGBA data (gray = R, gray + alpha = R, A). */
function fromRgba(rgba: Uint8Array, width: number, height: number, channels: number): RawImage {
  if (channels === 4) return { data: rgba, width, height, channels };
  const pick = channels === 1 ? [0] : channels === 2 ? [0, 3] : [0, 1, 2];
  const n = width * height;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let k = 0; k < channels; k++) data[i * channels + k] = rgba[i * 4 + (pick[k] as number)] as number;
  return { data, width, height, channels };
}
