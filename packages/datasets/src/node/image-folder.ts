import { Dataset } from '../dataset';
import { imageSource, type ImageOptions } from '../image/image-source';
import { resolveDecoder, type DecoderName } from './decoders';
import { scanImageFolder } from './scan';

/** Options of {@link imageFolder}. */
export interface ImageFolderOptions extends ImageOptions {
  /** Decoder (default `'auto'`: sharp when installed, else jpeg-js + pngjs). */
  decoder?: DecoderName;
}

/**
 * An image folder as a streaming {@link Dataset} (Node): one subfolder per class, like
 * torchvision's `ImageFolder` and Keras' `image_dataset_from_directory` (classes sorted by
 * name, class index = position), or a flat folder of unlabeled images. Lists files only; images
 * are decoded when a batch needs them (the first one also when `size` is not given, to learn
 * the sample shape).
 * @throws IoError when the folder cannot be read; DatasetError for empty folders, unsupported
 *   files, or a first image that cannot be decoded (each naming the file or folder).
 */
export async function imageFolder(dir: string, options: ImageFolderOptions = {}): Promise<Dataset> {
  const listing = await scanImageFolder(dir, options);
  const { decode } = await resolveDecoder(options.decoder);
  return new Dataset(await imageSource(listing, (entry) => decode(entry.name), options));
}
