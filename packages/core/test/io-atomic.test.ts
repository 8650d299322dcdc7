import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, GraphBuilder, IoError, Model, load, recoverFolder, save, writeFilesAtomic } from '../src/index';
import { useWasm } from './helpers';
import { caught, tinyDense } from './io-helpers';

beforeAll(useWasm);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-atomic-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


/** A pid that surely belongs to no running process: one that has just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const siblings = (dir: string): string[] => fs.readdirSync(path.dirname(dir)).filter((f) => f !== path.basename(dir)).sort();


describe('writeFilesAtomic / save replace the folder as a whole', () => {
  it('a second save leaves exactly the new files (stale ones from the old folder are gone)', async () => {
    const dir = path.join(tmp, 'whole', 'm');
    const a = tinyDense(1);
    await save(a, dir);
    fs.writeFileSync(path.join(dir, 'weights.q.bin'), 'left over from an int8 save');
    fs.writeFileSync(path.join(dir, '.weights.bin.123-456.tmp'), 'left over by the old writer');
    const b = tinyDense(2);
    await save(b, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(siblings(dir)).toEqual([]);
    const back = await load(dir);
    expect(Array.from(back.param('fc', 'kernel')!.value.dataSync())).toEqual(Array.from(b.param('fc', 'kernel')!.value.dataSync()));
    [a, b, back].forEach((m) => m.dispose());
  });

  it('refuses to replace a folder holding unrelated files, or a file, with an IoError naming it', async () => {
    const m = tinyDense(1);
    const home = path.join(tmp, 'home');
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, 'thesis.tex'), 'precious');
    const e = await caught(save(m, home));
    expect(e).toBeInstanceOf(IoError);
    expect((e as IoError).reason).toBe('ENOTEMPTY');
    expect((e as Error).message).toContain(home);
    expect(fs.readdirSync(home)).toEqual(['thesis.tex']);
    const file = path.join(tmp, 'plain-file');
    fs.writeFileSync(file, 'x');
    const f = await caught(save(m, file));
    expect(f).toBeInstanceOf(IoError);
    expect((f as IoError).reason).toBe('ENOTDIR');
    const under = await caught(save(m, path.join(file, 'sub')));
    expect(under).toBeInstanceOf(IoError);
    expect((under as IoError).reason).toBe('ENOTDIR');
    expect(siblings(file)).toContain('home');
    expect(fs.readdirSync(tmp).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
    m.dispose();
  });

  it('bad arguments are ConfigErrors and write nothing', async () => {
    const m = tinyDense(1);
    const before = tf.memory().numTensors;
    await expect(save(null as unknown as Model, path.join(tmp, 'never'))).rejects.toThrow(ConfigError);
    await expect(save(m, '')).rejects.toThrow(ConfigError);
    await expect(save(m, '   ')).rejects.toThrow(/non-empty path/);
    await expect(save(m, 42 as unknown as string)).rejects.toThrow(ConfigError);
    await expect(save(m, '/')).rejects.toThrow(ConfigError);
    await expect(writeFilesAtomic(path.join(tmp, 'never'), [{ name: '../escape', data: 'x' }])).rejects.toThrow(ConfigError);
    await expect(writeFilesAtomic(path.join(tmp, 'never'), [])).rejects.toThrow(ConfigError);
    await expect(load('')).rejects.toThrow(ConfigError);
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('saving through a symbolic link replaces the folder it points to and keeps the link', async () => {
    const real = path.join(tmp, 'real-target');
    const link = path.join(tmp, 'link-to-model');
    const a = tinyDense(1);
    await save(a, real);
    fs.symlinkSync(real, link);
    const b = tinyDense(3);
    await save(b, link);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    const back = await load(link);
    expect(Array.from(back.param('fc', 'bias')!.value.dataSync())).toEqual(Array.from(b.param('fc', 'bias')!.value.dataSync()));
    [a, b, back].forEach((m) => m.dispose());
  });
});

describe('recovery after a crash', () => {
  it('a folder a killed save left half-swapped is restored by load; dead temporaries are removed', async () => {
    const dir = path.join(tmp, 'crash', 'm');
    const a = tinyDense(4);
    await save(a, dir);
    const pid = deadPid();
    // The state between "old folder moved aside" and "new folder moved in":
    fs.renameSync(dir, path.join(path.dirname(dir), `.m.old-${pid}-abc`));
    fs.mkdirSync(path.join(path.dirname(dir), `.m.tmp-${pid}-def`));
    fs.writeFileSync(path.join(path.dirname(dir), `.m.tmp-${pid}-def`, 'weights.bin'), 'partial');
    expect(fs.existsSync(dir)).toBe(false);
    const back = await load(dir);
    expect(Array.from(back.param('fc', 'kernel')!.value.dataSync())).toEqual(Array.from(a.param('fc', 'kernel')!.value.dataSync()));
    expect(siblings(dir)).toEqual([]);
    [a, back].forEach((m) => m.dispose());
  });

  it('a new folder in place with the old one still beside it: load uses the new one, the next save removes the old', async () => {
    const dir = path.join(tmp, 'crash2', 'm');
    const a = tinyDense(5);
    const b = tinyDense(6);
    await save(a, dir);
    const pid = deadPid();
    fs.cpSync(dir, path.join(path.dirname(dir), `.m.old-${pid}-xyz`), { recursive: true });
    await save(b, dir);
    expect(siblings(dir)).toEqual([]);
    const back = await load(dir);
    expect(Array.from(back.param('fc', 'kernel')!.value.dataSync())).toEqual(Array.from(b.param('fc', 'kernel')!.value.dataSync()));
    [a, b, back].forEach((m) => m.dispose());
  });

  it('temporaries of a process that still runs are left alone', async () => {
    const dir = path.join(tmp, 'live', 'm');
    const m = tinyDense(7);
    await save(m, dir);
    const busy = path.join(path.dirname(dir), `.m.tmp-${process.ppid}-live`);
    fs.mkdirSync(busy);
    expect(await recoverFolder(dir)).toBe(true);
    await save(m, dir);
    expect(fs.existsSync(busy)).toBe(true);
    fs.rmSync(busy, { recursive: true });
    m.dispose();
  });
});

describe('a full disk (a real 64 KiB tmpfs)', () => {
  it('ENOSPC is an IoError naming the file; the old model stays and no temporary is left', async (ctx) => {
    const mnt = path.join(tmp, 'tiny');
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('mounting a tmpfs needs root (the mocked ENOSPC case in io-faults.test.ts still runs)');
    }
    try {
      const dir = path.join(mnt, 'm');
      const small = tinyDense(8);
      await save(small, dir);
      const before = fs.readFileSync(path.join(dir, 'weights.bin'));
      const b = new GraphBuilder();
      const big = Model.create(b.build(b.dense(b.input([100], { name: 'x' }), { units: 200, name: 'fc' })), { seed: 1 }); // 80 KB of weights
      const e = await caught(save(big, dir));
      expect(e).toBeInstanceOf(IoError);
      expect((e as IoError).reason).toBe('ENOSPC');
      expect((e as Error).message).toContain(path.join(dir, 'weights.bin'));
      expect(fs.readdirSync(mnt)).toEqual(['m']);
      expect(fs.readFileSync(path.join(dir, 'weights.bin')).equals(before)).toBe(true);
      const back = await load(dir);
      [small, big, back].forEach((m) => m.dispose());
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
