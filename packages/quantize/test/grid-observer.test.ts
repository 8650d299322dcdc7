import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectGridStep } from '../src/grid-step';
import { createObserver, dequantizeArray, GridObserver, MinMaxObserver, quantizeArray, resolveScheme } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

/** Gaussian-ish values from a seeded stream (sum of uniforms). */
function gaussian(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng() + rng() + rng() - 1.5);
}

/**
 * A [3, 3, 4, 8] kernel as the tfjs converter's `--quantize_uint8` stores it (per tensor: scale =
 * (max - min) / 255, zero point rounded so 0 is on the grid, values (q - zeroPoint) * scale in
 * float32), then each output channel multiplied by its own factor as batch-norm folding does.
 */
function convertedThenFolded(): { kernel: tf.Tensor; steps: number[] } {
  const raw = gaussian(3 * 3 * 4 * 8, 7);
  const lo = Math.min(...raw);
  const hi = Math.max(...raw);
  const scale = Math.fround((hi - lo) / 255);
  const zp = Math.round(-lo / scale);
  const factors = Array.from({ length: 8 }, (_, c) => 0.3 + 0.4 * c);
  const v = new Float32Array(raw.length);
  raw.forEach((x, i) => {
    const q = Math.min(255, Math.max(0, Math.round(x / scale) + zp));
    v[i] = Math.fround(Math.fround((q - zp) * scale) * Math.fround(factors[i % 8]!));
  });
  return { kernel: tf.tensor(v, [3, 3, 4, 8]), steps: factors.map((f) => scale * f) };
}

/** Largest reconstruction error per channel (axis 3 of a [.., 8] kernel) relative to the channel's max |w|. */
function relativeError(kernel: tf.Tensor, qp: ReturnType<GridObserver['qparams']>): number {
  const w = kernel.dataSync();
  const back = dequantizeArray(quantizeArray(w, kernel.shape, qp), kernel.shape, qp);
  const peak = new Array<number>(8).fill(0);
  w.forEach((x, i) => { peak[i % 8] = Math.max(peak[i % 8]!, Math.abs(x)); });
  let worst = 0;
  w.forEach((x, i) => { worst = Math.max(worst, Math.abs(back[i]! - x) / peak[i % 8]!); });
  return worst;
}

describe('detectGridStep', () => {
  it('finds the step of noisy grid values, and no step where there is no grid', () => {
    const g = 0.0137;
    const rng = createRng(3);
    const onGrid = Array.from({ length: 200 }, () => (Math.round(rng() * 250) - 125) * g * (1 + 1e-6 * (rng() - 0.5)));
    expect(detectGridStep(onGrid, 255) / g).toBeCloseTo(1, 6);
    expect(detectGridStep(gaussian(200, 4), 255)).toBe(0);
    expect(detectGridStep([0, 0, 0], 255)).toBe(0);
    // The same grid needs 250 levels: 100 are not enough.
    expect(detectGridStep(onGrid, 100)).toBe(0);
    // Three values on a grid of step 2g: the largest step that holds them.
    expect(detectGridStep([0, 2 * g, -6 * g], 255) / (2 * g)).toBeCloseTo(1, 9);
  });
});

describe('GridObserver', () => {
  it('keeps a folded converter kernel exact where per-channel min/max rounds it a second time', () => {
    const { kernel, steps } = convertedThenFolded();
    const affine = resolveScheme({ symmetric: false, perChannel: true, axis: 3 });
    const grid = createObserver('grid', affine, 'k');
    const minmax = new MinMaxObserver(affine, 'k');
    grid.observe(kernel);
    minmax.observe(kernel);
    const qg = grid.qparams();
    Array.from(qg.scale).forEach((s, c) => expect(s / steps[c]!).toBeCloseTo(1, 5));
    expect(relativeError(kernel, qg)).toBeLessThan(1e-5);
    expect(relativeError(kernel, minmax.qparams())).toBeGreaterThan(1e-3);
    kernel.dispose();
  });

  it('symmetric: never a larger squared error than min/max, channel by channel', () => {
    const { kernel } = convertedThenFolded();
    const sym = resolveScheme({ symmetric: true, perChannel: true, axis: 3 });
    const grid = new GridObserver(sym, 'k');
    const minmax = new MinMaxObserver(sym, 'k');
    grid.observe(kernel);
    minmax.observe(kernel);
    const w = kernel.dataSync();
    const sse = (qp: ReturnType<GridObserver['qparams']>): number[] => {
      const back = dequantizeArray(quantizeArray(w, kernel.shape, qp), kernel.shape, qp);
      const e = new Array<number>(8).fill(0);
      w.forEach((x, i) => { e[i % 8] = e[i % 8]! + (back[i]! - x) ** 2; });
      return e;
    };
    const eg = sse(grid.qparams());
    const em = sse(minmax.qparams());
    eg.forEach((e, c) => expect(e).toBeLessThanOrEqual(em[c]! * (1 + 1e-9)));
    expect(eg.reduce((a, b) => a + b)).toBeLessThan(0.5 * em.reduce((a, b) => a + b));
    kernel.dispose();
  });

  it('is min/max on weights that sit on no grid; leaks nothing; reset forgets', () => {
    const before = tf.memory().numTensors;
    const w = tf.tensor(gaussian(3 * 3 * 4 * 8, 11), [3, 3, 4, 8]);
    const s = resolveScheme({ perChannel: true, axis: 3 });
    const grid = new GridObserver(s, 'w');
    const minmax = new MinMaxObserver(s, 'w');
    grid.observe(w);
    minmax.observe(w);
    expect(Array.from(grid.qparams().scale)).toEqual(Array.from(minmax.qparams().scale));
    grid.reset();
    expect(() => grid.qparams()).toThrow(/has seen no data/);
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
