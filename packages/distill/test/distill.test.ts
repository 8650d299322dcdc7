import * as tf from '@tensorflow/tfjs-core';
import { adam, BonsaiError, ConfigError, crossEntropy, sgd, ShapeError, train, type Callback, type Model, type TrainState } from '@bonsai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Distiller, distill, frozenRun, kdLoss, kdLossSpec } from '../src/index';
import { agreement, blobs, cnn, expectClose, expectUnchanged, snapshot, useWasm } from './helpers';

let teacher: Model;
let data: { x: tf.Tensor; y: tf.Tensor };

beforeAll(async () => {
  await useWasm();
  data = blobs(192, 1);
  teacher = cnn(8, 16, 1);
  const opt = adam({ lr: 1e-2 });
  await train(teacher, data, { epochs: 3, batchSize: 32, optimizer: opt, seed: 1 });
  opt.dispose();
});

afterAll(() => {
  teacher.dispose();
  tf.dispose([data.x, data.y]);
});

describe('frozenRun', () => {
  it('computes inference-mode outputs and captures without recording the teacher on the tape', () => {
    const x = tf.slice(data.x, [0], [16]);
    const before = tf.memory().numTensors;
    const ref = teacher.run(x, { capture: ['relu', 'fc'] });
    const r = frozenRun(teacher, x, ['relu', 'fc', 'relu']);
    expectClose(r.output.dataSync(), ref.output.dataSync(), 0);
    expect(Object.keys(r.captured).sort()).toEqual(['fc', 'relu']);
    expect(r.captured.relu!.shape).toEqual([16, 8, 8, 8]);
    expectClose(r.captured.relu!.dataSync(), ref.captured.relu!.dataSync(), 0);
    expectClose(r.captured.fc!.dataSync(), ref.captured.fc!.dataSync(), 0);
    tf.dispose([r.output, ...Object.values(r.captured), ref.output, ...Object.values(ref.captured)]);
    expect(tf.memory().numTensors).toBe(before);
    // A plain run is differentiable w.r.t. the teacher's variables; a frozen run is not even
    // connected to them (variableGrads drops unconnected variables), while an extra variable is.
    const vars = teacher.trainableParams().map((p) => p.value);
    const two = tf.scalar(2);
    const extra = tf.variable(two);
    two.dispose();
    const plain = tf.variableGrads(() => tf.mul(tf.sum(teacher.run(x).output), extra) as tf.Scalar, [...vars, extra]);
    expect(Object.keys(plain.grads).length).toBe(vars.length + 1);
    const frozen = tf.variableGrads(() => tf.mul(tf.sum(frozenRun(teacher, x, ['relu']).output), extra) as tf.Scalar, [...vars, extra]);
    expect(Object.keys(frozen.grads)).toEqual([extra.name]);
    tf.dispose([plain.value, ...Object.values(plain.grads), frozen.value, ...Object.values(frozen.grads), extra]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('distill', () => {
  it('trains student and adapters against a frozen teacher: hint losses fall, teacher unchanged, no leaks', async () => {
    const student = cnn(4, 8, 2);
    const teacherBefore = snapshot(teacher);
    const studentBefore = snapshot(student);
    const batch = { x: tf.slice(data.x, [0], [64]), y: tf.slice(data.y, [0], [64]) };
    const hints = [
      { teacherNode: 'relu', studentNode: 'relu', weight: 5 }, // 4 -> 8 channels: learned adapter
      { teacherNode: 'relu', studentNode: 'relu', kind: 'attention' as const, weight: 100 },
      { teacherNode: 'relu_fc', studentNode: 'relu_fc', kind: 'rkd' as const },
    ];
    const d = new Distiller(teacher, student, { loss: kdLoss({ temperature: 4, alpha: 0.7 }), hints });
    expect(d.termNames).toEqual(['response', 'hint:relu->relu', 'attention:relu->relu', 'rkd:relu_fc->relu_fc']);
    expect([...d.adapters.keys()]).toEqual(['hint:relu->relu']);
    expect(d.adapters.get('hint:relu->relu')!.kernel.shape).toEqual([4, 8]);
    const first = d.evaluate(batch);
    const adapterBefore = d.adapters.get('hint:relu->relu')!.kernel.value.dataSync().slice();
    const gradNames = new Set<string>();
    const spy: Callback = { onAfterBackward: (grads) => void Object.keys(grads).forEach((k) => gradNames.add(k)) };
    const optimizer = adam({ lr: 1e-2 });
    const numTensors = tf.memory().numTensors;
    const history = await d.fit(data, { epochs: 3, batchSize: 32, optimizer, callbacks: [spy], seed: 3 });
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
    const last = d.evaluate(batch);
    for (const name of d.termNames) {
      expect(history.terms[name]).toHaveLength(3);
      expect(last[name], name).toBeLessThan(first[name]!);
    }
    expect(last['hint:relu->relu']).toBeLessThan(first['hint:relu->relu']! * 0.8);
    expect(history.steps).toBe(18);
    // The adapter was trained alongside the student, and its gradients went through the callbacks.
    expect(gradNames.has('hint:relu->relu/kernel')).toBe(true);
    expect(gradNames.has('conv/kernel')).toBe(true);
    expect([...gradNames].some((n) => n.startsWith('bn/moving'))).toBe(false);
    expect(d.adapters.get('hint:relu->relu')!.kernel.value.dataSync()).not.toEqual(adapterBefore);
    expect(student.param('conv', 'kernel')!.value.dataSync()).not.toEqual(studentBefore.get('conv/kernel'));
    expectUnchanged(teacher, teacherBefore);
    d.dispose();
    tf.dispose([batch.x, batch.y]);
    student.dispose();
  });

  it('transfers the teacher function from soft targets alone (alpha = 1, wrong labels)', async () => {
    const student = cnn(4, 8, 4);
    // Labels rotated by one class: useless for learning, ignored at alpha = 1.
    const wrong = tf.tidy(() => tf.concat([tf.slice(data.y, [0, 1], [-1, 3]), tf.slice(data.y, [0, 0], [-1, 1])], 1));
    const teacherLogits = teacher.predict(data.x);
    const teacherBefore = snapshot(teacher);
    const numTensors = tf.memory().numTensors;
    const history = await distill(teacher, student, { x: data.x, y: wrong }, {
      loss: kdLoss({ temperature: 2, alpha: 1 }), epochs: 8, batchSize: 32, lrSchedule: () => 1e-2,
    });
    expect(tf.memory().numTensors).toBe(numTensors); // default optimizer freed too
    expect(history.epochLosses[7]).toBeLessThan(history.epochLosses[0]! / 2);
    const studentLogits = student.predict(data.x);
    expect(agreement(studentLogits, teacherLogits)).toBeGreaterThan(0.9);
    expect(agreement(studentLogits, wrong)).toBeLessThan(0.1);
    expectUnchanged(teacher, teacherBefore);
    tf.dispose([wrong, teacherLogits, studentLogits]);
    student.dispose();
  });

  it('cacheTeacher runs the teacher once and trains exactly like the per-batch teacher', async () => {
    const hints = [{ teacherNode: 'relu', studentNode: 'relu' }];
    const run = async (cacheTeacher: boolean) => {
      const student = cnn(4, 8, 7);
      const optimizer = adam({ lr: 1e-2 });
      // 192 samples in batches of 40: the last batch of each epoch is partial.
      const h = await distill(teacher, student, data, { hints, epochs: 2, batchSize: 40, optimizer, seed: 5, cacheTeacher });
      optimizer.dispose();
      const w = Array.from(student.param('out', 'kernel')!.value.dataSync());
      student.dispose();
      return { h, w };
    };
    const numTensors = tf.memory().numTensors;
    const plain = await run(false);
    const cached = await run(true);
    expect(tf.memory().numTensors).toBe(numTensors);
    expectClose(cached.h.epochLosses, plain.h.epochLosses, 1e-4);
    expectClose(cached.h.terms['hint:relu->relu']!, plain.h.terms['hint:relu->relu']!, 1e-4);
    expectClose(cached.w, plain.w, 1e-3);
    const student = cnn(4, 8, 8);
    const gen = () => [] as Array<{ x: tf.Tensor; y: tf.Tensor }>;
    await expect(distill(teacher, student, gen, { cacheTeacher: true })).rejects.toThrow(ConfigError);
    student.dispose();
  });

  it('step() takes one optimizer step on student + adapters, with or without given teacher outputs', () => {
    const batch = { x: tf.slice(data.x, [0], [32]), y: tf.slice(data.y, [0], [32]) };
    const run = (withTeacher: boolean) => {
      const student = cnn(4, 8, 9);
      const d = new Distiller(teacher, student, { hints: [{ teacherNode: 'relu', studentNode: 'relu', weight: 2 }] });
      const before = tf.memory().numTensors;
      const l = d.losses(batch, { training: true });
      const expected = [l.total.dataSync()[0]!, ...l.terms.map((t) => t.dataSync()[0]!)];
      tf.dispose([l.total, ...l.terms]);
      const teacherOutputs = withTeacher ? frozenRun(teacher, batch.x, ['relu']) : undefined;
      const optimizer = sgd({ lr: 0.1 });
      const state: TrainState = { model: student, optimizer, epoch: 0, step: 0, batchIndex: 0, loss: NaN, epochLoss: NaN, stopTraining: false, epochs: 1, batchesPerEpoch: 1 };
      const names: string[] = [];
      const adapter = d.adapters.get('hint:relu->relu')!.kernel;
      const adapterBefore = adapter.value.dataSync().slice();
      const r = d.step(batch, optimizer, [{ onAfterBackward: (g) => void names.push(...Object.keys(g)) }], state, teacherOutputs);
      expect(names).toContain('hint:relu->relu/kernel');
      expect(names).toContain('conv/kernel');
      expect(adapter.value.dataSync()).not.toEqual(adapterBefore);
      if (teacherOutputs) {
        expect(teacherOutputs.output.isDisposed).toBe(false); // the caller's
        tf.dispose([teacherOutputs.output, ...Object.values(teacherOutputs.captured)]);
      }
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      d.dispose();
      student.dispose();
      return { expected, got: [r.loss, ...r.terms] };
    };
    const plain = run(false);
    expectClose(plain.got, plain.expected, 1e-5);
    expect(plain.got[0]).toBeCloseTo(plain.got[1]! + 2 * plain.got[2]!, 5);
    const given = run(true);
    expectClose(given.got, plain.got, 1e-5);
    tf.dispose([batch.x, batch.y]);
  });

  it('validates its inputs with typed errors naming nodes', () => {
    const student = cnn(4, 8, 5);
    expect(() => new Distiller(teacher, teacher)).toThrow(ConfigError);
    const clone = teacher.clone();
    expect(() => new Distiller(teacher, clone)).not.toThrow();
    clone.dispose();
    expect(() => new Distiller(teacher, student, { loss: null })).toThrow(ConfigError);
    expect(() => new Distiller(teacher, student, { hints: [{ teacherNode: 'nope', studentNode: 'relu' }] })).toThrow(/nope/);
    expect(() => new Distiller(teacher, student, { hints: [{ teacherNode: 'pool', studentNode: 'relu' }] })).toThrow(ShapeError);
    expect(() => new Distiller(teacher, student, { hints: [{ teacherNode: 'relu', studentNode: 'relu', adapter: 'never' }] })).toThrow(/"relu"/);
    expect(() => new Distiller(teacher, student, { hints: [{ teacherNode: 'relu', studentNode: 'relu', weight: -1 }] })).toThrow(ConfigError);
    const numTensors = tf.memory().numTensors;
    expect(() => new Distiller(teacher, student, { hints: [{ teacherNode: 'relu', studentNode: 'relu' }, { teacherNode: 'pool', studentNode: 'relu', kind: 'attention' }] })).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(numTensors); // the first hint's adapter was freed
    const same = new Distiller(teacher, student, { hints: [{ teacherNode: 'relu', studentNode: 'relu', adapter: 'always' }, { teacherNode: 'relu', studentNode: 'relu' }] });
    expect([...same.adapters.keys()]).toEqual(['hint:relu->relu', 'hint:relu->relu#2']);
    same.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
    const badData = { x: data.x, y: tf.slice(data.y, [0], [10]) };
    return expect(distill(teacher, student, badData)).rejects.toThrow(BonsaiError).finally(() => {
      badData.y.dispose();
      student.dispose();
    });
  });
});

describe('kdLossSpec', () => {
  it('plugs into core train(): the student learns from the teacher, the teacher is untouched, nothing leaks', async () => {
    const student = cnn(4, 8, 6);
    const teacherBefore = snapshot(teacher);
    const optimizer = adam({ lr: 1e-2 });
    const spec = kdLossSpec(teacher, { temperature: 4, alpha: 0.5 });
    const numTensors = tf.memory().numTensors;
    const history = await train(student, data, { loss: spec, epochs: 3, batchSize: 32, optimizer, seed: 2 });
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(history.epochLosses[2]).toBeLessThan(history.epochLosses[0]!);
    expectUnchanged(teacher, teacherBefore);
    const [sl, tl] = [student.predict(data.x), teacher.predict(data.x)];
    expect(agreement(sl, tl)).toBeGreaterThan(0.9);
    // Same value as kdLoss applied by hand to the same logits.
    const batch = { x: tf.slice(data.x, [0], [8]), y: tf.slice(data.y, [0], [8]) };
    const out = student.forward(batch.x);
    const fromSpec = spec({ model: student, batch, output: out, captured: {}, state: undefined as never });
    const teacherOut = teacher.forward(batch.x);
    const byHand = kdLoss({ temperature: 4, alpha: 0.5 })(out, teacherOut, batch.y);
    expect(fromSpec.dataSync()[0]).toBeCloseTo(byHand.dataSync()[0]!, 6);
    expect(() => spec({ model: teacher, batch, output: out, captured: {}, state: undefined as never })).toThrow(ConfigError);
    expect(() => kdLossSpec(teacher, { temperature: -1 })).toThrow(ConfigError);
    // crossEntropy sanity: the KD loss differs from the hard-label loss alone.
    const ce = crossEntropy(out, batch.y);
    expect(Math.abs(ce.dataSync()[0]! - fromSpec.dataSync()[0]!)).toBeGreaterThan(1e-4);
    tf.dispose([sl, tl, batch.x, batch.y, out, fromSpec, teacherOut, byHand, ce]);
    student.dispose();
  });
});
