import type { ImageFormat } from './raw-image';
import { sniffFormat } from './raw-image';

/** What an image's header says about its pixels, read without decoding. */
export interface ImageHeader {
  format: ImageFormat;
  /** Stored as gray (PNG colour types 0/4, one-component JPEG). */
  gray: boolean;
  /** Stored as CMYK/YCCK (four-component JPEG). */
  cmyk: boolean;
  /** More than 8 bits per channel (16-bit PNG, 12-bit JPEG). */
  highDepth: boolean;
}

/** Reads format, gray/CMYK and bit depth from the first bytes (PNG IHDR, JPEG SOF); undefined when not an image. */
export function readHeader(bytes: Uint8Array): ImageHeader | undefined {
  const format = sniffFormat(bytes);
  if (!format) return undefined;
  const header: ImageHeader = { format, gray: false, cmyk: false, highDepth: false };
  if (format === 'png' && bytes.length >= 26) {
    header.gray = bytes[25] === 0 || bytes[25] === 4;
    header.highDepth = (bytes[24] ?? 8) > 8;
  } else if (format === 'jpeg') {
    const sof = jpegFrame(bytes);
    if (sof) {
      header.gray = sof.components === 1;
      header.cmyk = sof.components === 4;
      header.highDepth = sof.precision > 8;
    }
  }
  return header;
}

/** The JPEG start-of-frame segment's sample precision and component count, found by walking the markers. */
function jpegFrame(bytes: Uint8Array): { precision: number; components: number } | undefined {
  let i = 2;
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame && i + 9 < bytes.length) return { precision: bytes[i + 4] as number, components: bytes[i + 9] as number };
    if (marker === 0xda || marker === 0xd9) return undefined;
    i += 2 + length;
  }
  return undefined;
}
