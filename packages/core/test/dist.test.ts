import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Options } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config from '../tsup.config';

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside node_modules so that the built file resolves @tensorflow/* like the package does.
const outDir = `${root}node_modules/.cache/bonsai-core-dist-test`;

/** A training step on every trainable op family, run by plain Node ESM against the built file. */
const script = `
import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, Model, adam, crossEntropy, initBackend, train } from './index.js';
await initBackend('wasm');
const b = new GraphBuilder();
const x = b.input([8, 8, 2]);
let h = b.relu(b.batchNorm(b.conv2d(x, { filters: 4, kernel: 3 })));
h = b.relu6(b.depthwiseConv2d(h, { kernel: 3 }));
const [p, q] = b.split(h, { sizes: [2, 2] });
h = b.concat([b.sigmoid(p), b.tanh(q)]);
h = b.add([h, b.conv2d(h, { filters: 4, kernel: 1 })]);
h = b.avgPool(b.maxPool(h), { pool: 2, strides: 1, padding: 'same' });
const g = b.globalAvgPool(h);
let f = b.gelu(b.layerNorm(b.dense(b.flatten(h), { units: 8 })));
f = b.dropout(b.concat([f, g]), { rate: 0.2 });
const model = Model.create(b.build(b.dense(b.reshape(f, { shape: [12] }), { units: 3 })), { seed: 1 });
const xs = tf.randomUniform([6, 8, 8, 2], 0, 1, 'float32', 3);
const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
const params = model.trainableParams();
const { value, grads } = tf.variableGrads(() => crossEntropy(model.run(xs, { training: true }).output, ys), params.map((p) => p.value));
const nonzero = params.filter((p) => { const g = grads[p.value.name]; return g && tf.sum(tf.abs(g)).dataSync()[0] > 0; }).length;
const h1 = await train(model, { x: xs, y: ys }, { epochs: 20, batchSize: 6, optimizer: adam({ lr: 0.01 }) });
console.log(JSON.stringify({ losses: h1.epochLosses, params: params.length, nonzero, loss: value.dataSync()[0] }));
`;

describe("core's dist bundles no tfjs-core", () => {
  let code = '';
  beforeAll(async () => {
    rmSync(outDir, { recursive: true, force: true });
    await build({ ...(config as Options), outDir, dts: false, sourcemap: false, silent: true, config: false });
    code = readFileSync(`${outDir}/index.js`, 'utf8');
  }, 60_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  // The size cap only catches an inlined tfjs-core (283 KB of the 410 KB bundle it once made);
  // core's own code grew past 150 KB in round 5 (wasm heap kernels, shared Identity, one-pass Adam).
  it('dist/index.js stays under 200 KB and contains none of tfjs-core engine code', () => {
    expect(statSync(`${outDir}/index.js`).size).toBeLessThan(200 * 1024);
    expect(code).not.toMatch(/class Engine\b/);
    expect(code).not.toMatch(/register_all_gradients/);
    expect(code).not.toMatch(/function registerGradient\(/);
    expect(code).not.toMatch(/KernelBackend/);
    // tfjs is imported, never inlined: every @tensorflow import stays a bare specifier.
    expect(code).toMatch(/from ["']@tensorflow\/tfjs-core["']/);
    expect(code).not.toMatch(/@tensorflow\/tfjs-core\/dist/);
  });

  it('trains in plain Node ESM with only the gradients core registers', () => {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(`${outDir}/train-check.mjs`, script);
    const out = execFileSync(process.execPath, [`${outDir}/train-check.mjs`], { cwd: outDir, encoding: 'utf8', timeout: 60_000 });
    const { losses, params, nonzero } = JSON.parse(out.trim().split('\n').pop()!) as { losses: number[]; params: number; nonzero: number };
    expect(params).toBeGreaterThan(10);
    expect(nonzero, 'every trainable param gets a nonzero gradient').toBe(params);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.7);
  }, 90_000);
});
