import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetError, listFiles, relativePath, type NamedBlob } from '../src/browser';

/** A File as `<input type=file webkitdirectory>` gives it (Node 20 has `File`; the path is set like the browser does). */
function picked(path: string, bytes = 'x'): NamedBlob {
  const file = new File([bytes], path.split('/').pop() ?? path);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

describe('listFiles (browser file grouping)', () => {
  it('takes the class from the first folder below the picked one, sorted like imageFolder', () => {
    const files = ['pets/dog/b.jpg', 'pets/cat/2.png', 'pets/dog/a.JPG', 'pets/cat/1.webp', 'pets/cat/.hidden.jpg', 'pets/bird/x/deep.jpeg', 'pets/bird/z.png'].map((p) => picked(p));
    const listing = listFiles(files);
    expect(listing.classes).toEqual(['bird', 'cat', 'dog']);
    expect(listing.entries.map((e) => [e.name, e.label, e.file])).toEqual([
      ['bird/z.png', 0, 6], // a folder's own files before its subfolders', as imageFolder (and torchvision) list them
      ['bird/x/deep.jpeg', 0, 5],
      ['cat/1.webp', 1, 3],
      ['cat/2.png', 1, 1],
      ['dog/a.JPG', 2, 2],
      ['dog/b.jpg', 2, 0],
    ]);
  });

  it('treats dropped files without folders, or labels: "none", as unlabeled', () => {
    const dropped = [new File(['x'], 'b.png'), new File(['x'], 'a.jpg')];
    const flat = listFiles(dropped);
    expect(flat.classes).toBeUndefined();
    expect(flat.entries.map((e) => [e.name, e.file])).toEqual([['a.jpg', 1], ['b.png', 0]]);
    // A picked flat folder: its one root folder is not a class.
    expect(listFiles([picked('photos/1.jpg'), picked('photos/2.jpg')]).classes).toBeUndefined();
    expect(listFiles([picked('pets/dog/1.jpg'), picked('pets/cat/1.jpg')], { labels: 'none' }).classes).toBeUndefined();
    expect(relativePath(new Blob(['x']), 4)).toBe('file 4');
  });

  it('rejects no images, unsupported files (unless skipped), and loose images beside class folders', () => {
    expect(() => listFiles([])).toThrow(DatasetError);
    expect(() => listFiles([picked('d/a/x.gif')])).toThrow(/a\/x\.gif: unsupported file type/);
    expect(listFiles([picked('d/a/x.gif'), picked('d/a/y.png')], { skipUnsupported: true }).entries).toHaveLength(1);
    expect(() => listFiles([picked('d/a/x.png'), picked('d/y.png'), picked('d/a/z.png')])).toThrow(/y\.png: image beside class folders/);
    expect(() => listFiles([picked('d/a/x.png'), picked('d/b/y.png')], { classNames: ['a', 'c'] })).toThrow(/class "c" has no files/);
    expect(listFiles([picked('d/a/x.png'), picked('d/b/y.png')], { classNames: ['b'] }).entries.map((e) => e.name)).toEqual(['b/y.png']);
  });
});

describe('the browser entry', () => {
  it('imports no Node-only module (node:*, fs, sharp, pngjs, jpeg-js, mnist files)', () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
        if (!spec) continue;
        if (spec.startsWith('.')) visit(join(dirname(file), `${spec}.ts`));
        else external.add(spec);
      }
    };
    visit(join(src, 'browser.ts'));
    expect([...external].sort()).toEqual(['@bonsai/core', '@tensorflow/tfjs-core', 'fflate']);
    expect([...seen].some((f) => f.includes('/node/') || f.endsWith('mnist-files.ts'))).toBe(false);
  });
});
