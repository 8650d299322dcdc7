import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IoError, load, save } from '../src/index';
import { useWasm } from './helpers';
import { caught, tinyDense } from './io-helpers';

// Injects system errors into node:fs/promises (the tests run as root, so chmod cannot make EACCES).
const faults = vi.hoisted(() => ({ next: new Map<string, { code: string; skip: number; partial?: boolean }>() }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const fail = (fn: string): Error | undefined => {
    const f = faults.next.get(fn);
    if (!f || f.skip-- > 0) return undefined;
    faults.next.delete(fn);
    return Object.assign(new Error(`${f.code}: injected, ${fn}`), { code: f.code, syscall: fn });
  };
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const e = fail(name);
      if (e) throw e;
      return fn(...a);
    };
  const open = async (...a: Parameters<typeof real.open>): Promise<Awaited<ReturnType<typeof real.open>>> => {
    const e = fail('open');
    if (e) throw e;
    const h = await real.open(...a);
    const f = faults.next.get('write');
    if (!f) return h;
    // A handle whose writeFile writes part of the data, then fails (a disk that fills up mid-file).
    return new Proxy(h, {
      get(target, prop, receiver) {
        if (prop !== 'writeFile') return Reflect.get(target, prop, receiver) as unknown;
        return async (data: string | Uint8Array) => {
          const err = fail('write');
          if (!err) return target.writeFile(data);
          await target.write(typeof data === 'string' ? Buffer.from(data.slice(0, 10)) : data.subarray(0, 10));
          throw err;
        };
      },
    });
  };
  const mod = { ...real, open, mkdir: wrap('mkdir', real.mkdir), rename: wrap('rename', real.rename), readdir: wrap('readdir', real.readdir), stat: wrap('stat', real.stat) };
  return { ...mod, default: mod };
});

beforeAll(useWasm);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-faults-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => faults.next.clear());



describe('file-system failures during save are IoErrors and leave the old model', () => {
  const cases: Array<{ what: string; fn: string; code: string; skip?: number }> = [
    { what: 'no permission to create the temporary folder', fn: 'mkdir', code: 'EACCES', skip: 1 },
    { what: 'no permission to create the parent folder', fn: 'mkdir', code: 'EACCES' },
    { what: 'a full disk while writing weights.bin', fn: 'write', code: 'ENOSPC' },
    { what: 'a full disk while writing model.json', fn: 'write', code: 'ENOSPC', skip: 1 },
    { what: 'a quota exceeded', fn: 'write', code: 'EDQUOT' },
    { what: 'EEXIST when opening a temporary file', fn: 'open', code: 'EEXIST' },
    { what: 'EISDIR when opening a temporary file', fn: 'open', code: 'EISDIR' },
    { what: 'ENOTDIR when moving the old folder aside', fn: 'rename', code: 'ENOTDIR' },
    { what: 'EACCES when moving the new folder in', fn: 'rename', code: 'EACCES', skip: 1 },
    { what: 'EACCES when listing the parent folder', fn: 'readdir', code: 'EACCES' },
  ];
  for (const c of cases) {
    it(`${c.what} (${c.code})`, async () => {
      const dir = path.join(tmp, `${c.fn}-${c.code}-${c.skip ?? 0}`, 'm');
      const a = tinyDense(1);
      await save(a, dir);
      const before = fs.readFileSync(path.join(dir, 'weights.bin'));
      faults.next.set(c.fn, { code: c.code, skip: c.skip ?? 0 });
      const b = tinyDense(2);
      const e = await caught(save(b, dir));
      expect(faults.next.size, 'the fault was injected').toBe(0);
      expect(e).toBeInstanceOf(IoError);
      expect((e as IoError).reason).toBe(c.code);
      expect((e as IoError).path).toContain(path.dirname(dir));
      expect((e as Error).message).toMatch(new RegExp(`^${path.dirname(dir).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*\\(${c.code}\\)$`));
      expect(fs.readdirSync(path.dirname(dir))).toEqual(['m']);
      expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
      expect(fs.readFileSync(path.join(dir, 'weights.bin')).equals(before)).toBe(true);
      const back = await load(dir);
      [a, b, back].forEach((m) => m.dispose());
    });
  }
});

describe('file-system failures during load are IoErrors', () => {
  it('EACCES on model.json and on weights.bin name the file', async () => {
    const dir = path.join(tmp, 'load', 'm');
    const a = tinyDense(3);
    await save(a, dir);
    faults.next.set('open', { code: 'EACCES', skip: 0 });
    const e = await caught(load(dir));
    expect(e).toBeInstanceOf(IoError);
    expect((e as Error).message).toBe(`${path.join(dir, 'model.json')}: cannot open: permission denied (EACCES)`);
    faults.next.set('open', { code: 'EACCES', skip: 1 });
    const w = await caught(load(dir));
    expect(w).toBeInstanceOf(IoError);
    expect((w as IoError).path).toBe(path.join(dir, 'weights.bin'));
    a.dispose();
  });

  it('a missing folder is an IoError ENOENT naming model.json', async () => {
    const e = await caught(load(path.join(tmp, 'nowhere')));
    expect(e).toBeInstanceOf(IoError);
    expect((e as IoError).reason).toBe('ENOENT');
    expect((e as IoError).path).toBe(path.join(tmp, 'nowhere', 'model.json'));
  });
});
