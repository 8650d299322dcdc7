import * as tf from '@tensorflow/tfjs-core';
import {
  BonsaiError,
  ConfigError,
  ShapeError,
  shuffledIndices,
  type Batch,
  type Callback,
  type Model,
  type NodeId,
  type Optimizer,
  type Param,
  type TrainData,
  type TrainHistory,
  type TrainOptions,
  type TrainState,
  adam,
} from '@bonsai/core';
import { attentionLoss } from './attention';
import { frozenRun, type FrozenResult } from './frozen';
import { HintAdapter, hintLoss } from './hint';
import { kdLoss, type ResponseLoss } from './kd-loss';
import { rkdLoss } from './rkd';
import type { FeatureLossKind, HintSpec } from './specs';
import { checkNonNegative } from './validate';

/** Options of {@link Distiller}. */
export interface DistillerOptions {
  /**
   * Response loss on (student logits, teacher logits, labels); default
   * `kdLoss({ temperature: 4, alpha: 0.9 })`. `null` trains on the feature terms only.
   */
  loss?: ResponseLoss | null;
  /** Feature-level terms (FitNets hints, attention transfer, RKD). */
  hints?: readonly HintSpec[];
  /** Seed of the hint adapters' initialization (default: the student's seed). */
  adapterSeed?: number;
}

/** Options of {@link Distiller.fit}: core's train options, plus teacher caching. */
export interface FitOptions extends Omit<TrainOptions, 'loss' | 'capture'> {
  /**
   * With whole-tensor data: run the frozen teacher once over all samples before training and
   * gather its outputs (and captured features) per batch instead of running it every step.
   * Exact (the teacher is deterministic in inference mode); costs memory for the cached
   * activations. Default false.
   */
  cacheTeacher?: boolean;
}

/** Options of {@link distill}: {@link FitOptions} plus the distiller's. */
export interface DistillOptions extends FitOptions, DistillerOptions {}

/** History of a distillation run: core's history plus per-epoch means of every loss term. */
export interface DistillHistory extends TrainHistory {
  /** Term name (`response`, `hint:s->t`, `attention:s->t`, `rkd:s->t`) -> per-epoch mean (unweighted). */
  terms: Record<string, number[]>;
}

interface ResolvedHint {
  name: string;
  kind: FeatureLossKind;
  spec: HintSpec;
  weight: number;
  adapter: HintAdapter | undefined;
}

/**
 * Trains a student against a frozen teacher. The teacher runs in inference mode outside the
 * gradient tape ({@link frozenRun}); only the student's trainable params and the hint adapters'
 * params are differentiated, in one `tf.variableGrads` call, and updated by one optimizer.
 * Core's `train()` cannot do this (it differentiates `model.trainableParams()` only), so the
 * distiller runs its own loop with the same options, `TrainState` and `Callback`s (the grads
 * passed to `onAfterBackward` include the adapters', keyed by their param names).
 * Call {@link dispose} to free the adapters.
 */
export class Distiller {
  /** Learned adapters of the `hint` terms that need one, by term name. */
  readonly adapters: ReadonlyMap<string, HintAdapter>;
  private readonly response: ResponseLoss | null;
  private readonly hints: ResolvedHint[];
  private readonly teacherCapture: NodeId[];
  private readonly studentCapture: NodeId[];

  constructor(readonly teacher: Model, readonly student: Model, options: DistillerOptions = {}) {
    if (teacher === student) throw new ConfigError('Distiller: teacher and student must be different models');
    const teacherVars = new Set([...teacher.params.values()].map((p) => p.value.id));
    const shared = [...student.params.values()].find((p) => teacherVars.has(p.value.id));
    if (shared) throw new ConfigError(`Distiller: student param "${shared.name}" shares its variable with the teacher`, { param: shared.name });
    this.response = options.loss === undefined ? kdLoss() : options.loss;
    const specs = options.hints ?? [];
    if (!this.response && specs.length === 0) throw new ConfigError('Distiller: nothing to train on (loss is null and no hints are given)');
    if (this.response) {
      const s = student.graph.shape(student.graph.outputs[0]!);
      const t = teacher.graph.shape(teacher.graph.outputs[0]!);
      if (s.length !== t.length || s.some((d, i) => d !== t[i])) {
        throw new ShapeError(`Distiller: student output [${s.join(', ')}] and teacher output [${t.join(', ')}] differ`);
      }
    }
    const seed = options.adapterSeed ?? student.seed;
    const adapters = new Map<string, HintAdapter>();
    this.hints = [];
    try {
      for (const spec of specs) {
        const hint = resolveHint(spec, teacher, student, seed, this.hints.map((h) => h.name));
        if (hint.adapter) {
          if (student.params.has(hint.adapter.kernel.name)) throw new ConfigError(`Distiller: adapter param "${hint.adapter.kernel.name}" collides with a student param`);
          adapters.set(hint.name, hint.adapter);
        }
        this.hints.push(hint);
      }
    } catch (e) {
      for (const a of adapters.values()) a.dispose();
      throw e;
    }
    this.adapters = adapters;
    this.teacherCapture = [...new Set(this.hints.map((h) => h.spec.teacherNode))];
    this.studentCapture = [...new Set(this.hints.map((h) => h.spec.studentNode))];
  }

  /** Everything the optimizer updates: the student's trainable params, then the adapters'. */
  trainableParams(): Param[] {
    return [...this.student.trainableParams(), ...[...this.adapters.values()].flatMap((a) => a.params)];
  }

  /** Names of the loss terms, in the order of {@link evaluate}'s result. */
  get termNames(): string[] {
    return [...(this.response ? ['response'] : []), ...this.hints.map((h) => h.name)];
  }

  /**
   * The weighted total loss and each unweighted term on one batch (student in training mode
   * when `training`). Call inside a gradient scope to differentiate; the teacher is frozen.
   */
  losses(batch: Batch, options: { training?: boolean; teacher?: { output: tf.Tensor; captured: Record<NodeId, tf.Tensor> } } = {}): { total: tf.Scalar; terms: tf.Scalar[] } {
    return tf.tidy(() => {
      const t = options.teacher ?? frozenRun(this.teacher, batch.x, this.teacherCapture);
      const s = this.student.run(batch.x, { training: options.training ?? false, capture: this.studentCapture });
      const terms: tf.Scalar[] = [];
      const weighted: tf.Scalar[] = [];
      if (this.response) {
        const r = this.response(s.output, t.output, batch.y);
        terms.push(r);
        weighted.push(r);
      }
      for (const h of this.hints) {
        const sf = s.captured[h.spec.studentNode]!;
        const tfeat = t.captured[h.spec.teacherNode]!;
        const v = h.kind === 'hint' ? hintLoss(sf, tfeat, h.adapter) : h.kind === 'attention' ? attentionLoss(sf, tfeat, { p: h.spec.p }) : rkdLoss(sf, tfeat, h.spec);
        terms.push(v);
        weighted.push(h.weight === 1 ? v : tf.mul(v, h.weight));
      }
      const total = weighted.reduce((a, b) => tf.add(a, b)) as tf.Scalar;
      return { total, terms };
    });
  }

  /** Unweighted loss terms by name on one batch, student in inference mode (no update). */
  evaluate(batch: Batch): Record<string, number> {
    const values = tf.tidy(() => tf.stack(this.losses(batch).terms).dataSync());
    return Object.fromEntries(this.termNames.map((n, i) => [n, values[i]!]));
  }

  /**
   * One optimization step; returns the total loss and the unweighted terms. Runs the callbacks'
   * `onAfterBackward` like core's `trainStep`. Pass `teacherOutputs` (owned by the caller) to skip
   * the teacher's forward.
   */
  step(batch: Batch, optimizer: Optimizer, callbacks: readonly Callback[], state: TrainState, teacherOutputs?: FrozenResult): { loss: number; terms: number[] } {
    const params = this.trainableParams();
    const teacher = teacherOutputs ?? frozenRun(this.teacher, batch.x, this.teacherCapture);
    let termValues: tf.Tensor | undefined;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const { total, terms } = this.losses(batch, { training: true, teacher });
        termValues = tf.keep(tf.stack(terms));
        return total;
      }, params.map((p) => p.value));
      let current: Record<string, tf.Tensor> = {};
      for (const p of params) {
        const g = grads[p.value.name];
        if (g) current[p.name] = g;
      }
      for (const cb of callbacks) {
        const replaced = cb.onAfterBackward?.(current, state);
        if (replaced && replaced !== current) {
          for (const [k, t] of Object.entries(current)) if (replaced[k] !== t) t.dispose();
          current = replaced;
        }
      }
      optimizer.step(params, current);
      const loss = value.dataSync()[0]!;
      value.dispose();
      for (const t of Object.values(current)) t.dispose();
      return { loss, terms: Array.from(termValues!.dataSync()) };
    } finally {
      termValues?.dispose();
      if (!teacherOutputs) disposeResult(teacher);
    }
  }

  /**
   * Trains the student (and adapters) on `data` with core's training options and callbacks.
   * Creates (and disposes) an Adam optimizer unless one is given. The teacher is never updated.
   */
  async fit(data: TrainData, options: FitOptions = {}): Promise<DistillHistory> {
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ConfigError(`distill: epochs must be a non-negative integer, got ${epochs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`distill: batchSize must be a positive integer, got ${batchSize}`);
    const tensorData = typeof data === 'function' ? undefined : data;
    if (tensorData && tensorData.x.shape[0] !== tensorData.y.shape[0]) {
      throw new BonsaiError('DATA', `distill: x has ${tensorData.x.shape[0]} samples but y has ${tensorData.y.shape[0]}`);
    }
    if (options.cacheTeacher && !tensorData) throw new ConfigError('distill: cacheTeacher needs whole-tensor data ({ x, y }), not a batch generator');
    const ownOptimizer = options.optimizer === undefined;
    const optimizer = options.optimizer ?? adam();
    const callbacks = options.callbacks ?? [];
    const seed = options.seed ?? 0;
    const state: TrainState = {
      model: this.student, optimizer, epoch: 0, step: 0, batchIndex: 0, loss: NaN, epochLoss: NaN, stopTraining: false, epochs,
      batchesPerEpoch: tensorData ? Math.ceil(tensorData.x.shape[0]! / batchSize) : NaN,
    };
    const names = this.termNames;
    const history: DistillHistory = { epochLosses: [], steps: 0, terms: Object.fromEntries(names.map((n) => [n, []])) };
    const cache = options.cacheTeacher && tensorData ? this.teacherOutputs(tensorData.x) : undefined;
    try {
      for (const cb of callbacks) await cb.onTrainBegin?.(state);
      for (let epoch = 0; epoch < epochs && !state.stopTraining; epoch++) {
        state.epoch = epoch;
        state.batchIndex = 0;
        for (const cb of callbacks) await cb.onEpochBegin?.(state);
        const batches = tensorData ? tensorBatches(tensorData.x, tensorData.y, batchSize, seed + epoch, cache) : (data as (e: number) => Iterable<Batch>)(epoch);
        let sum = 0;
        let count = 0;
        const termSums = names.map(() => 0);
        for (const item of batches) {
          const batch = 'batch' in item ? item.batch : item;
          const teacherOutputs = 'batch' in item ? item.teacher : undefined;
          try {
            for (const cb of callbacks) await cb.onBatchBegin?.(state, batch);
            if (options.lrSchedule) optimizer.lr = options.lrSchedule(state.step, epoch);
            const r = this.step(batch, optimizer, callbacks, state, teacherOutputs);
            state.loss = r.loss;
            r.terms.forEach((v, i) => (termSums[i]! += v));
          } finally {
            batch.x.dispose();
            batch.y.dispose();
            if (teacherOutputs) disposeResult(teacherOutputs);
          }
          sum += state.loss;
          count++;
          state.step++;
          history.steps++;
          for (const cb of callbacks) await cb.onBatchEnd?.(state);
          state.batchIndex++;
          if (state.stopTraining || (options.maxSteps !== undefined && state.step >= options.maxSteps)) {
            state.stopTraining = true;
            break;
          }
        }
        state.epochLoss = count ? sum / count : NaN;
        history.epochLosses.push(state.epochLoss);
        names.forEach((n, i) => history.terms[n]!.push(count ? termSums[i]! / count : NaN));
        for (const cb of callbacks) await cb.onEpochEnd?.(state);
      }
      for (const cb of callbacks) await cb.onTrainEnd?.(state);
    } finally {
      if (ownOptimizer) optimizer.dispose();
      if (cache) disposeResult(cache);
    }
    return history;
  }

  /** The frozen teacher's outputs and captured features over all of `x`, in chunks of `chunk`. */
  teacherOutputs(x: tf.Tensor, chunk = 256): FrozenResult {
    const n = x.shape[0]!;
    const parts: FrozenResult[] = [];
    try {
      for (let i = 0; i < n; i += chunk) {
        const xb = tf.slice(x, [i], [Math.min(chunk, n - i)]);
        parts.push(frozenRun(this.teacher, xb, this.teacherCapture));
        xb.dispose();
      }
      return tf.tidy(() => ({
        output: tf.concat(parts.map((p) => p.output), 0),
        captured: Object.fromEntries(this.teacherCapture.map((id) => [id, tf.concat(parts.map((p) => p.captured[id]!), 0)])),
      }));
    } finally {
      parts.forEach(disposeResult);
    }
  }

  /** Frees the hint adapters (not the teacher or the student). */
  dispose(): void {
    for (const a of this.adapters.values()) a.dispose();
  }
}

/**
 * Distills `teacher` into `student` in place (Hinton KD by default, plus optional FitNets hints,
 * attention transfer and RKD terms) and returns the history; adapters are freed at the end.
 *
 * ```ts
 * await distill(teacher, student, data, {
 *   loss: kdLoss({ temperature: 4, alpha: 0.9 }), epochs: 5, optimizer: adam({ lr: 1e-3 }),
 *   hints: [{ teacherNode: 'relu2', studentNode: 'relu1' }],
 * });
 * ```
 */
export async function distill(teacher: Model, student: Model, data: TrainData, options: DistillOptions = {}): Promise<DistillHistory> {
  const { loss, hints, adapterSeed, ...trainOptions } = options;
  const distiller = new Distiller(teacher, student, { loss, hints, adapterSeed });
  try {
    return await distiller.fit(data, trainOptions);
  } finally {
    distiller.dispose();
  }
}

function resolveHint(spec: HintSpec, teacher: Model, student: Model, seed: number, taken: string[]): ResolvedHint {
  const kind = spec.kind ?? 'hint';
  if (kind !== 'hint' && kind !== 'attention' && kind !== 'rkd') throw new ConfigError(`Distiller: unknown hint kind "${String(kind)}" (use hint, attention or rkd)`);
  const weight = spec.weight ?? 1;
  checkNonNegative(`Distiller: weight of hint ${spec.studentNode}->${spec.teacherNode}`, weight);
  const s = student.graph.shape(spec.studentNode);
  const t = teacher.graph.shape(spec.teacherNode);
  let name = `${kind}:${spec.studentNode}->${spec.teacherNode}`;
  for (let i = 2; taken.includes(name); i++) name = `${kind}:${spec.studentNode}->${spec.teacherNode}#${i}`;
  const where = `student node "${spec.studentNode}" [${s.join(', ')}] and teacher node "${spec.teacherNode}" [${t.join(', ')}]`;
  let adapter: HintAdapter | undefined;
  if (kind !== 'rkd') {
    const sameSpatial = s.length === t.length && s.slice(0, -1).every((d, i) => d === t[i]);
    if (!sameSpatial || s.length === 0) throw new ShapeError(`Distiller ${kind}: ${where} differ outside the channel axis`, spec.studentNode);
    if (kind === 'hint') {
      const mode = spec.adapter ?? 'auto';
      const cs = s[s.length - 1]!;
      const ct = t[t.length - 1]!;
      if (mode === 'never' && cs !== ct) throw new ShapeError(`Distiller hint: ${where} differ in channels and adapter is 'never'`, spec.studentNode);
      if (mode === 'always' || (mode === 'auto' && cs !== ct)) adapter = new HintAdapter(`hint:${spec.studentNode}->${spec.teacherNode}${name.includes('#') ? name.slice(name.indexOf('#')) : ''}`, cs, ct, { seed });
    }
  }
  return { name, kind, spec, weight, adapter };
}

/** Seeded mini-batches of whole tensors (like core's train), with the cached teacher rows when given. */
function* tensorBatches(x: tf.Tensor, y: tf.Tensor, batchSize: number, seed: number, cache?: FrozenResult): Generator<Batch | { batch: Batch; teacher: FrozenResult }> {
  const n = x.shape[0]!;
  const order = shuffledIndices(n, seed);
  for (let i = 0; i < n; i += batchSize) {
    const idx = tf.tensor1d(Array.from(order.subarray(i, Math.min(n, i + batchSize))), 'int32');
    const batch = { x: tf.gather(x, idx), y: tf.gather(y, idx) };
    const teacher = cache && {
      output: tf.gather(cache.output, idx),
      captured: Object.fromEntries(Object.entries(cache.captured).map(([id, t]) => [id, tf.gather(t, idx)])),
    };
    idx.dispose();
    yield teacher ? { batch, teacher } : batch;
  }
}

function disposeResult(r: FrozenResult): void {
  r.output.dispose();
  for (const t of Object.values(r.captured)) t.dispose();
}
