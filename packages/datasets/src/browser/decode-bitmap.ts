import { DatasetError } from '../errors';
import type { RawImage } from '../image/raw-image';

/**
 * Decodes an image `Blob` in the browser (or a worker) with `createImageBitmap` and reads its
 * RGBA pixels through an `OffscreenCanvas`; images come back with 4 channels (browsers do not
 * tell gray from RGB). EXIF orientation is ignored (`imageOrientation: 'none'`), as training
 * loaders do; no colour-space conversion or premultiplication is applied.
 * @throws DatasetError naming the file when the browser cannot decode it.
 */
export async function decodeBitmap(blob: Blob, name: string): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'none', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (cause) {
    throw new DatasetError(`corrupt or unsupported image (${cause instanceof Error ? cause.message : String(cause)})`, name);
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new DatasetError('no 2d canvas context to read pixels', name);
    context.drawImage(bitmap, 0, 0);
    const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data, width, height, channels: 4 };
  } finally {
    bitmap.close();
  }
}
