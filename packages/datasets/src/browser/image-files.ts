import { Dataset } from '../dataset';
import { imageSource, type ImageOptions } from '../image/image-source';
import { decodeBitmap } from './decode-bitmap';
import { listFiles, type NamedBlob } from './file-listing';

/**
 * Files picked in the browser (`<input type=file webkitdirectory multiple>`'s `FileList`, or
 * drag-and-drop `File`s) as a streaming {@link Dataset}, with the options of Node's
 * `imageFolder`: the class is the first folder below the picked one. Decoding uses
 * `createImageBitmap` + `OffscreenCanvas`.
 * @throws DatasetError for no images, unsupported files, or a first image that cannot be decoded.
 */
export async function imageFiles(files: ArrayLike<NamedBlob> | Iterable<NamedBlob>, options: ImageOptions = {}): Promise<Dataset> {
  const all = Array.from(files as Iterable<NamedBlob>);
  const listing = listFiles(all, options);
  return new Dataset(await imageSource(listing, (entry) => decodeBitmap(all[entry.file ?? 0] as NamedBlob, entry.name), options));
}
