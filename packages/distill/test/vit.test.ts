import * as tf from '@tensorflow/tfjs-core';
import { adam } from '@bonsai/core';
import { epochBatches, loadMnist } from '@bonsai/datasets';
import { vit } from '@bonsai/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { distill, kdLoss } from '../src/index';
import { useWasm } from './helpers';

beforeAll(useWasm);

describe('distillation of a ViT (logits + per-block hidden states)', () => {
  it('matches the student\'s block outputs [T, 16] to the teacher\'s [T, 32] through learned adapters, and the feature terms fall', async () => {
    const before = tf.memory().numTensors;
    const { train } = loadMnist({ trainSize: 128, testSize: 8 });
    const teacher = vit({ dim: 32, depth: 2, heads: 4, seed: 1 });
    const student = vit({ dim: 16, depth: 2, heads: 2, seed: 2 });
    const optimizer = adam({ lr: 2e-3 });
    const hints = [1, 2].map((i) => ({ teacherNode: `blk${i}_add2`, studentNode: `blk${i}_add2` }));
    const history = await distill(teacher, student, epochBatches(train, { batchSize: 32, seed: 3 }), {
      optimizer, epochs: 4, loss: kdLoss({ temperature: 4, alpha: 0.9 }), hints,
    });
    expect(Object.keys(history.terms).sort()).toEqual(['hint:blk1_add2->blk1_add2', 'hint:blk2_add2->blk2_add2', 'response']);
    for (const values of Object.values(history.terms)) {
      expect(values).toHaveLength(4);
      expect(values.every(Number.isFinite)).toBe(true);
    }
    for (const name of ['hint:blk1_add2->blk1_add2', 'hint:blk2_add2->blk2_add2']) {
      const t = history.terms[name]!;
      expect(t[3]!).toBeLessThan(t[0]!);
    }
    optimizer.dispose();
    teacher.dispose();
    student.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
