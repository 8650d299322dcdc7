import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatasetError, loadMnist } from '../src/index';

/** A digits folder with `perClass` tiny fake digits per class (pixel value = class / 10). */
function fixture(perClass: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bonsai-mnist-'));
  for (let c = 0; c < 10; c++) {
    writeFileSync(join(dir, `${c}.json`), JSON.stringify({ data: new Array<number>(perClass * 784).fill(c / 10) }));
  }
  dirs.push(dir);
  return dir;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function loadError(dir: string): DatasetError {
  try {
    loadMnist({ digitsDir: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).name).toBe('DatasetError');
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('loadMnist with an injected digitsDir', () => {
  it('loads a valid folder with the same 80/20 stratified split', () => {
    const data = loadMnist({ digitsDir: fixture(5) });
    expect(data.train.count).toBe(40);
    expect(data.test.count).toBe(10);
    data.test.labels.forEach((label, i) => expect(data.test.images[i * 784]).toBeCloseTo(label / 10, 6));
    expect(new Set(data.test.labels).size).toBe(10);
  });

  it('rejects a length that is not a multiple of 784', () => {
    const dir = fixture(2);
    writeFileSync(join(dir, '3.json'), JSON.stringify({ data: new Array<number>(784 * 2 + 5).fill(0) }));
    const error = loadError(dir);
    expect(error.file).toBe(join(dir, '3.json'));
    expect(error.message).toMatch(/multiple of 784/);
  });

  it('rejects a missing file', () => {
    const dir = fixture(1);
    unlinkSync(join(dir, '9.json'));
    expect(loadError(dir).message).toMatch(/9\.json: cannot read.*ENOENT/);
  });

  it('rejects invalid JSON, a missing data array and out-of-range values', () => {
    const dir = fixture(1);
    writeFileSync(join(dir, '0.json'), '{ "data": [0, 0.5');
    expect(loadError(dir).message).toMatch(/invalid JSON/);
    writeFileSync(join(dir, '0.json'), '{ "pixels": [] }');
    expect(loadError(dir).message).toMatch(/no "data" array/);
    writeFileSync(join(dir, '0.json'), JSON.stringify({ data: [...new Array<number>(783).fill(0), 3] }));
    expect(loadError(dir).message).toMatch(/value 3 at 783/);
    writeFileSync(join(dir, '0.json'), JSON.stringify({ data: [] }));
    expect(loadError(dir).message).toMatch(/positive multiple/);
  });
});
