import { initBackend, IoError } from '@bonsai/core';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, imageFolder, type DataBatch, type DecoderName, type ImageFolderOptions } from '../src/index';
import { encodePng, PHOTOS_DIR, tempDir } from './image-helpers';

const root = tempDir();
beforeAll(() => initBackend('wasm'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh folder with `files` (relative path -> bytes). */
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = join(root, `case${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), bytes);
  }
  return dir;
}

const photo = readFileSync(join(PHOTOS_DIR, 'screenshot-vrm.jpg'));
const gray = encodePng(new Uint8Array(16).fill(90), 4, 4, 1);
const rgb = encodePng(new Uint8Array(48).fill(30), 4, 4, 3);

async function drain(batches: AsyncIterable<DataBatch>): Promise<void> {
  for await (const { x, y } of batches) {
    x.dispose();
    y?.dispose();
  }
}

/** Resolves to the error a dataset's first full pass (or its creation) throws. */
async function failure(dir: string, options: ImageFolderOptions): Promise<unknown> {
  try {
    await drain((await imageFolder(dir, options)).batches({ batchSize: 2 }));
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe.each(['sharp', 'js'] as DecoderName[])('bad image files give typed errors naming the file (%s decoder)', (decoder) => {
  it('a truncated JPEG', async () => {
    const dir = folder({ 'cat/good.jpg': photo, 'cat/half.jpg': photo.subarray(0, photo.length >> 1), 'dog/good.jpg': photo });
    const error = await failure(dir, { size: [32, 32], decoder });
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe(join(dir, 'cat', 'half.jpg'));
    expect((error as Error).message).toMatch(/half\.jpg: corrupt or truncated image/);
  });

  it('a file whose bytes are not an image, and an empty file', async () => {
    const dir = folder({ 'a.png': gray, 'b.jpg': 'hello' });
    expect(await failure(dir, { channels: 1, decoder })).toMatchObject({ file: join(dir, 'b.jpg') });
    const empty = folder({ 'a.png': new Uint8Array(0) });
    const error = await failure(empty, { decoder });
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/a\.png: not a JPEG, PNG or WebP image/);
  });

  it('mismatched channel counts when conversion is off', async () => {
    const dir = folder({ 'a.png': gray, 'b.png': rgb });
    const error = await failure(dir, { channels: 1, convertChannels: false, decoder });
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/b\.png: image has 3 channel\(s\), the dataset has 1/);
    await drain((await imageFolder(dir, { channels: 1, decoder })).batches({ batchSize: 2 })); // converting is fine
  });

  it('mixed sizes without resize', async () => {
    const dir = folder({ 'a.png': gray, 'b.png': encodePng(new Uint8Array(15), 5, 3, 1) });
    const error = await failure(dir, { channels: 1, decoder });
    expect((error as Error).message).toMatch(/b\.png: image is 3x5 \(HxW\), other images are 4x4: pass size/);
  });
});

describe('bad folders give typed errors naming the folder or file', () => {
  it('an empty folder, an empty class folder, a missing folder', async () => {
    const empty = folder({});
    await expect(imageFolder(empty)).rejects.toThrow(DatasetError);
    await expect(imageFolder(empty)).rejects.toThrow(new RegExp(`${empty}: no images found`));
    const emptyClass = folder({ 'a/x.png': gray });
    mkdirSync(join(emptyClass, 'b'));
    await expect(imageFolder(emptyClass)).rejects.toThrow(/b: class folder "b" holds no images/);
    const error = await imageFolder(join(root, 'nope')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect((error as IoError).reason).toBe('ENOENT');
  });

  it('an unsupported extension (unless skipped), images beside class folders, unknown class names', async () => {
    const dir = folder({ 'a/x.png': gray, 'a/y.gif': 'GIF89a', 'a/.DS_Store': 'x' });
    await expect(imageFolder(dir)).rejects.toThrow(/y\.gif: unsupported file type/);
    expect((await imageFolder(dir, { skipUnsupported: true })).size).toBe(1);
    const loose = folder({ 'a/x.png': gray, 'z.png': gray });
    await expect(imageFolder(loose)).rejects.toThrow(/z\.png: image beside class folders/);
    expect((await imageFolder(loose, { labels: 'none' })).size).toBe(2);
    await expect(imageFolder(loose, { labels: 'none', classNames: ['a'] })).rejects.toThrow(DatasetError);
    await expect(imageFolder(dir, { classNames: ['b'], skipUnsupported: true })).rejects.toThrow(/class "b" has no folder/);
  });

  it('WebP: decoded by sharp, a clear error with the pure-JS decoder', async () => {
    const webp = await sharp(Buffer.from(new Uint8Array(48).fill(200)), { raw: { width: 4, height: 4, channels: 3 } }).webp({ lossless: true }).toBuffer();
    const dir = folder({ 'a.webp': webp });
    const ds = await imageFolder(dir, { decoder: 'sharp', preprocess: '[0,255]' });
    for await (const { x } of ds.batches({ batchSize: 1 })) {
      expect(Array.from(x.dataSync())).toEqual(new Array<number>(48).fill(200));
      x.dispose();
    }
    await expect(imageFolder(dir, { decoder: 'js' })).rejects.toThrow(/a\.webp: WebP decoding in Node needs the optional dependency sharp/);
  });

  it('options are checked', async () => {
    const dir = folder({ 'a.png': gray });
    copyFileSync(join(dir, 'a.png'), join(dir, 'b.png'));
    await expect(imageFolder(dir, { channels: 2 as never })).rejects.toThrow(/channels must be 1 or 3/);
    await expect(imageFolder(dir, { size: [0, 4] })).rejects.toThrow(/size\[0\]/);
    await expect(imageFolder(dir, { decoder: 'magick' as never })).rejects.toThrow(/decoder must be/);
    await expect(imageFolder(dir, { workers: -1 })).rejects.toThrow(/workers must be an integer/);
    const ds = await imageFolder(dir);
    expect(() => ds.batches({ batchSize: 0 })).toThrow(DatasetError);
  });
});
