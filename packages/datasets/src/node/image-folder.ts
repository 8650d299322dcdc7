import { Dataset } from '../dataset';
import { checkInt } from '../errors';
import { imageSource, type ImageOffload, type ImageOptions } from '../image/image-source';
import { resolveDecoder, type DecoderName } from './decoders';
import { PixelPool } from './pixel-pool';
import { scanImageFolder } from './scan';

/** Options of {@link imageFolder}. */
export interface ImageFolderOptions extends ImageOptions {
  /** Decoder (default `'auto'`: sharp when installed, else jpeg-js + pngjs). */
  decoder?: DecoderName;
  /**
   * Worker threads that read, decode and preprocess images (default 0: this thread). With one or
   * more, a prefetched batch is prepared in full during a synchronous training step.
   */
  workers?: number;
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
  const { name, decode } = await resolveDecoder(options.decoder);
  const workers = options.workers ?? 0;
  checkInt('workers', workers, 0, 64);
  const pool = workers > 0 ? new PixelPool(workers) : undefined;
  const offload: ImageOffload | undefined = pool && ((entry, plan, hw) => pool.run(entry.name, name, plan, hw));
  return new Dataset(await imageSource(listing, (entry) => decode(entry.name), options, offload));
}
