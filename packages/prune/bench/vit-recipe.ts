/**
 * Training recipe pieces of the ViT bench (issue 14), kept out of the bench flow: random-shift or
 * random-affine augmentation (a fresh augmented copy of the split per epoch), label-smoothed cross-entropy, and
 * decoupled weight decay (AdamW's `w -= lr * wd * w`, applied after each optimizer step to
 * matrices only: biases, norms and embeddings are not decayed).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng, crossEntropy, load, save, type Batch, type Callback, type LossSpec, type Model } from '@bonsai/core';
import { epochBatches, type Split } from '@bonsai/datasets';

/** A copy of 28x28 `split` with every digit moved by up to `maxShift` pixels in x and y (zero fill). */
export function shiftedSplit(split: Split, maxShift: number, seed: number): Split {
  const rng = createRng(seed);
  const side = 28;
  const out = new Float32Array(split.images.length);
  for (let s = 0; s < split.count; s++) {
    const dy = Math.floor(rng() * (2 * maxShift + 1)) - maxShift;
    const dx = Math.floor(rng() * (2 * maxShift + 1)) - maxShift;
    const base = s * side * side;
    for (let y = Math.max(0, dy); y < Math.min(side, side + dy); y++) {
      const from = base + (y - dy) * side;
      const to = base + y * side;
      const x0 = Math.max(0, dx);
      const x1 = Math.min(side, side + dx);
      out.set(split.images.subarray(from + x0 - dx, from + x1 - dx), to + x0);
    }
  }
  return { ...split, images: out };
}

/** Random affine jitter of {@link affineSplit}: rotation in degrees, relative scale, shift in pixels. */
export interface AffineJitter {
  /** Rotation drawn from [-rotate, rotate] degrees. */
  rotate: number;
  /** Scale drawn from [1 - scale, 1 + scale]. */
  scale: number;
  /** Shift in x and y drawn from [-shift, shift] pixels (continuous). */
  shift: number;
}

/**
 * A copy of 28x28 `split` with every digit rotated, scaled and shifted about the centre by a
 * random draw of `jitter`, resampled bilinearly (zero outside the image).
 */
export function affineSplit(split: Split, jitter: AffineJitter, seed: number): Split {
  const rng = createRng(seed);
  const side = 28;
  const c = (side - 1) / 2;
  const out = new Float32Array(split.images.length);
  const u = (r: number): number => (rng() * 2 - 1) * r;
  for (let s = 0; s < split.count; s++) {
    const a = (u(jitter.rotate) * Math.PI) / 180;
    const k = 1 / (1 + u(jitter.scale));
    const tx = u(jitter.shift);
    const ty = u(jitter.shift);
    // Inverse map: output pixel (x, y) samples the source at R(-a) (p - c - t) / scale + c.
    const cos = Math.cos(a) * k;
    const sin = Math.sin(a) * k;
    const base = s * side * side;
    const img = split.images.subarray(base, base + side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const dx = x - c - tx;
        const dy = y - c - ty;
        const sx = cos * dx + sin * dy + c;
        const sy = -sin * dx + cos * dy + c;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        if (x0 < -1 || y0 < -1 || x0 >= side || y0 >= side) continue;
        const fx = sx - x0;
        const fy = sy - y0;
        const at = (yy: number, xx: number): number => (yy < 0 || xx < 0 || yy >= side || xx >= side ? 0 : img[yy * side + xx]!);
        out[base + y * side + x] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      }
    }
  }
  return { ...split, images: out };
}

/**
 * Per-epoch batches of `split`, each epoch augmented afresh: random affine jitter when `affine` is
 * given, else integer shifts of up to `maxShift` pixels (0: none).
 */
export function augmentedBatches(split: Split, o: { batchSize: number; seed: number; maxShift: number; affine?: AffineJitter }): (epoch: number) => Iterable<Batch> {
  const { affine } = o;
  if (affine) return (epoch) => epochBatches(affineSplit(split, affine, o.seed * 1000 + epoch), { batchSize: o.batchSize, seed: o.seed })(epoch);
  if (o.maxShift === 0) return epochBatches(split, { batchSize: o.batchSize, seed: o.seed });
  return (epoch) => epochBatches(shiftedSplit(split, o.maxShift, o.seed * 1000 + epoch), { batchSize: o.batchSize, seed: o.seed })(epoch);
}

/** Cross-entropy against labels smoothed to `(1 - eps) * y + eps / classes`. */
export function smoothedCrossEntropy(eps: number): LossSpec {
  return ({ output, batch }) => {
    const k = batch.y.shape[1]!;
    return crossEntropy(output, tf.add(tf.mul(batch.y, 1 - eps), eps / k));
  };
}

/** Decoupled weight decay on every trainable param of rank >= 2 (AdamW), after each step. */
export function decoupledWeightDecay(model: Model, wd: number): Callback {
  return {
    onBatchEnd: (s) => {
      const f = 1 - s.optimizer.lr * wd;
      for (const p of model.trainableParams()) {
        if (p.shape.length < 2) continue;
        const next = tf.mul(p.value, f);
        p.value.assign(next);
        next.dispose();
      }
    },
  };
}

/** A dense model trained once and reused: the folder it lives in and how long training took. */
export interface CachedDense {
  model: Model;
  /** Training wall and CPU seconds (from the run that trained it). */
  seconds: number;
  cpuSeconds: number;
  /** Whether it was loaded from the cache folder. */
  cached: boolean;
}

/**
 * Loads the model saved under `dir` (with the `train.json` timing beside it) or, when absent,
 * runs `trainFn` on a fresh model from `create`, times it (wall and process CPU), and saves both.
 * `dir` null: always trains, never saves.
 */
export async function trainOrLoad(dir: string | null, create: () => Model, trainFn: (m: Model) => Promise<void>): Promise<CachedDense> {
  if (dir !== null && fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'train.json'))) {
    const t = JSON.parse(fs.readFileSync(path.join(dir, 'train.json'), 'utf8')) as { seconds: number; cpuSeconds: number };
    return { model: await load(dir), seconds: t.seconds, cpuSeconds: t.cpuSeconds, cached: true };
  }
  const model = create();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await trainFn(model);
  const c = process.cpuUsage(c0);
  const timing = { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
  if (dir !== null) {
    await save(model, dir);
    fs.writeFileSync(path.join(dir, 'train.json'), `${JSON.stringify(timing)}\n`);
  }
  return { model, ...timing, cached: false };
}
