/**
 * The drop walk of src/byo/dropped-files.ts on hand-built FileSystemEntry trees (Chromium cannot
 * synthesize a dropped folder, so the e2e covers only dropped files): nested class folders keep
 * their paths, directory readers that return entries in batches are read to the end, and a
 * transfer without entries falls back to its files by name.
 */
import { describe, expect, it } from 'vitest';
import { droppedFiles } from '../src/byo/dropped-files';

type Node = File | { [name: string]: Node };

/** A FileSystemEntry for `node` at `path`; directory readers hand out `batch` entries per call. */
function entry(name: string, node: Node, parent: string, batch: number): FileSystemEntry {
  const fullPath = `${parent}/${name}`;
  if (node instanceof File) return { name, fullPath, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(node) } as unknown as FileSystemEntry;
  const children = Object.entries(node).map(([n, c]) => entry(n, c, fullPath, batch));
  const createReader = (): FileSystemDirectoryReader => {
    let at = 0;
    const readEntries = (ok: (e: FileSystemEntry[]) => void): void => {
      const next = children.slice(at, at + batch);
      at += next.length;
      queueMicrotask(() => ok(next));
    };
    return { readEntries } as FileSystemDirectoryReader;
  };
  return { name, fullPath, isFile: false, isDirectory: true, createReader } as unknown as FileSystemEntry;
}

function transfer(items: Array<FileSystemEntry | null>, files: File[] = []): DataTransfer {
  return { items: items.map((e) => ({ kind: 'file', webkitGetAsEntry: () => e })), files } as unknown as DataTransfer;
}

const png = (name: string): File => new File([new Uint8Array([137, 80, 78, 71])], name, { type: 'image/png' });

describe('droppedFiles', () => {
  it('walks a dropped folder with class subfolders, reading batched directory listings to the end', async () => {
    const digits = { 0: { 'a.png': png('a.png'), 'b.png': png('b.png'), 'c.png': png('c.png') }, 1: { 'd.png': png('d.png') }, 'e.png': png('e.png') };
    const got = await droppedFiles(transfer([entry('digits', digits, '', 2)]));
    expect(got.map((g) => g.path).sort()).toEqual(['digits/0/a.png', 'digits/0/b.png', 'digits/0/c.png', 'digits/1/d.png', 'digits/e.png']);
    expect(got.find((g) => g.path === 'digits/1/d.png')!.file).toBe(digits[1]['d.png']);
  });

  it('keeps the paths of several dropped class folders and loose files side by side', async () => {
    const got = await droppedFiles(transfer([entry('cat', { 'x.png': png('x.png') }, '', 1), entry('dog', { 'y.png': png('y.png') }, '', 1), entry('z.png', png('z.png'), '', 1)]));
    expect(got.map((g) => g.path)).toEqual(['cat/x.png', 'dog/y.png', 'z.png']);
  });

  it('falls back to the files by name when items have no entry (a synthetic DataTransfer)', async () => {
    const files = [png('p.png'), png('q.png')];
    const got = await droppedFiles(transfer([null, null], files));
    expect(got).toEqual([{ file: files[0], path: 'p.png' }, { file: files[1], path: 'q.png' }]);
  });
});
