import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The vendored real photos (test/fixtures/photos). */
export const PHOTOS_DIR = fileURLToPath(new URL('../test/fixtures/photos/', import.meta.url));

/**
 * A flat folder of `count` JPEGs made by hard-linking the real photos in turn (no extra disk use;
 * falls back to copies), under a fresh temporary folder. Returns its path.
 */
export function photoFolder(count: number): string {
  const root = mkdtempSync(join(tmpdir(), 'bonsai-datasets-bench-'));
  const sources = readdirSync(PHOTOS_DIR).filter((f) => f.endsWith('.jpg')).sort();
  const originals = join(root, 'originals');
  const dir = join(root, `photos-${count}`);
  mkdirSync(originals);
  mkdirSync(dir);
  for (const f of sources) copyFileSync(join(PHOTOS_DIR, f), join(originals, f));
  for (let i = 0; i < count; i++) {
    const src = join(originals, sources[i % sources.length] as string);
    const dst = join(dir, `${String(i).padStart(5, '0')}.jpg`);
    try {
      linkSync(src, dst);
    } catch {
      copyFileSync(src, dst);
    }
  }
  return dir;
}
