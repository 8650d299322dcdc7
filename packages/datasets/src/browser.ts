/**
 * @bonsai/datasets (browser entry): the same datasets over `File`/`FileList`/`Blob`s, decoded with
 * `createImageBitmap` + `OffscreenCanvas`; no Node-only imports (`node:fs`, sharp).
 */
export * from './shared';
export { imageFiles } from './browser/image-files';
export { decodeBitmap } from './browser/decode-bitmap';
