import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Model, load, toArtifacts } from '../src/index';
import { useWasm } from './helpers';

// A save is toArtifacts (in memory) + writeFilesAtomic (the only part that touches the disk).
// The child process runs writeFilesAtomic back to back with the exact bytes save() writes for two
// different models, and is SIGKILLed at a random moment. After every kill the folder must load
// as exactly one of the two models, and no temporary may survive the next load.

const KILLS = Number(process.env.BONSAI_KILLS ?? 100);
const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-kill-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function mlp(seed: number, hidden: number): Model {
  const b = new GraphBuilder();
  const x = b.input([6], { name: 'x' });
  const y = b.dense(b.relu(b.dense(x, { units: hidden, name: 'fc1' })), { units: 3, name: 'fc2' });
  return Model.create(b.build(y), { seed });
}

async function filesOf(m: Model): Promise<{ json: string; weights: Buffer }> {
  const art = await toArtifacts(m);
  return { json: JSON.stringify(art.json), weights: Buffer.from(art.weights) };
}

/** Bundles the real writeFilesAtomic (from src) into one plain .mjs so each child starts in milliseconds. */
async function bundleWriter(out: string): Promise<void> {
  const req = createRequire(fs.realpathSync(createRequire(import.meta.url).resolve('tsx/package.json')));
  const esbuild = req('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> };
  await esbuild.build({ entryPoints: [path.join(here, '../src/io/atomic-folder.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
}

const CHILD = `
import fs from 'node:fs';
import { writeFilesAtomic } from './atomic.mjs';
const [dir, a, b] = process.argv.slice(2);
const models = [a, b].map((d) => [
  { name: 'weights.bin', data: fs.readFileSync(d + '/weights.bin') },
  { name: 'model.json', data: fs.readFileSync(d + '/model.json', 'utf8') },
]);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) await writeFilesAtomic(dir, models[i % 2]);
`;

function runAndKill(script: string, args: string[], delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('a save killed at a random moment', () => {
  beforeAll(useWasm);

  it(`leaves the complete old or the complete new model (${KILLS} SIGKILLs)`, async () => {
    const start = tf.memory().numTensors;
    const models = [mlp(1, 8), mlp(2, 5)];
    const expected = await Promise.all(models.map(filesOf));
    const x = tf.randomUniform([2, 6], -1, 1, 'float32', 3);
    const outputs = models.map((m) => tf.tidy(() => Array.from(m.forward(x).dataSync())));
    const src = ['a', 'b'].map((n, i) => {
      const d = path.join(tmp, n);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'weights.bin'), expected[i]!.weights);
      fs.writeFileSync(path.join(d, 'model.json'), expected[i]!.json);
      return d;
    });
    await bundleWriter(path.join(tmp, 'atomic.mjs'));
    const script = path.join(tmp, 'child.mjs');
    fs.writeFileSync(script, CHILD);
    const seen = [0, 0];
    let halfSwapped = 0;
    // Two folders, each with its own child, so one folder's check overlaps the other's child start-up.
    const lane = async (name: string, kills: number): Promise<void> => {
      const dir = path.join(tmp, name, 'm');
      fs.mkdirSync(path.dirname(dir));
      fs.cpSync(src[0]!, dir, { recursive: true });
      for (let k = 0; k < kills; k++) {
        await runAndKill(script, [dir, ...src], Math.random() * 120);
        if (!fs.existsSync(dir)) halfSwapped++;
        const m = await load(dir); // load repairs a half-swapped folder and removes dead temporaries
        const json = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
        const which = expected.findIndex((e) => e.json === json);
        expect(which, `${name} kill ${k}: model.json is neither model`).toBeGreaterThanOrEqual(0);
        expect(fs.readFileSync(path.join(dir, 'weights.bin')).equals(expected[which]!.weights), `${name} kill ${k}: weights do not match model.json`).toBe(true);
        const y = m.forward(x);
        expect(Array.from(y.dataSync())).toEqual(outputs[which]);
        y.dispose();
        m.dispose();
        seen[which]!++;
        expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
        expect(fs.readdirSync(path.dirname(dir)).filter((f) => f !== 'm'), `${name} kill ${k}: temporaries left`).toEqual([]);
      }
    };
    await Promise.all([lane('one', Math.ceil(KILLS / 2)), lane('two', Math.floor(KILLS / 2))]);
    // The kills landed on both models (the loop really alternated); report how often the folder was found mid-swap.
    expect(seen[0]! + seen[1]!).toBe(KILLS);
    expect(Math.min(...seen)).toBeGreaterThan(0);
    console.log(`kills: ${KILLS}, loaded old/new: ${seen.join('/')}, found mid-swap (repaired by load): ${halfSwapped}`);
    x.dispose();
    models.forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(start);
  }, 120_000);
});
