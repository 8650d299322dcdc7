/** A picked or dropped file with its path below what was picked or dropped (`"digits/3/a.png"`). */
export interface PathedFile {
  file: File;
  path: string;
}

/** Files of an `<input type=file>` (with `webkitdirectory`, `webkitRelativePath` keeps the class folders). */
export function pickedFiles(input: HTMLInputElement): PathedFile[] {
  return [...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((ok, fail) => {
    const all: FileSystemEntry[] = [];
    // readEntries returns the entries in batches (Chromium: 100) until it returns none.
    const next = (): void => reader.readEntries((batch) => {
      if (batch.length === 0) ok(all);
      else {
        all.push(...batch);
        next();
      }
    }, fail);
    next();
  });
}

async function walk(entry: FileSystemEntry): Promise<PathedFile[]> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    return [{ file, path: path || file.name }];
  }
  if (!entry.isDirectory) return [];
  const children = await readAll((entry as FileSystemDirectoryEntry).createReader());
  return (await Promise.all(children.map(walk))).flat();
}

/**
 * The files of a drop: dropped folders are walked (`webkitGetAsEntry`), so class subfolders keep
 * their relative path as a folder pick does; items without an entry (e.g. a synthetic
 * DataTransfer) fall back to `dataTransfer.files` by name. The entries are taken synchronously,
 * since a DataTransfer's items are only readable during the drop event.
 */
export function droppedFiles(transfer: DataTransfer): Promise<PathedFile[]> {
  const items = [...transfer.items].filter((it) => it.kind === 'file');
  const entries = items.map((it) => it.webkitGetAsEntry?.() ?? null);
  if (entries.length === 0 || entries.some((e) => e === null)) {
    return Promise.resolve([...transfer.files].map((file) => ({ file, path: file.name })));
  }
  return Promise.all(entries.map((e) => walk(e!))).then((lists) => lists.flat());
}
