/** Decoded pixels: `height * width * channels` bytes, interleaved (HWC), 8 bits per channel. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: number;
}

/** Image formats the decoders read. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** File extensions (lower case, with the dot) read as images, and their format. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, ImageFormat>> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jpe': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
};

/** The format named by a file name's extension, or undefined when it is not a supported image. */
export function formatOfName(name: string): ImageFormat | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : IMAGE_EXTENSIONS[name.slice(dot).toLowerCase()];
}

/** The format told by the first bytes (magic numbers), or undefined when none matches. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  const ascii = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}
