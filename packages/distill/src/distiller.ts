import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  ShapeError,
  shuffledIndices,
  train,
  trainStep,
  type Batch,
  type Callback,
  type LossContext,
  type Model,
  type NodeId,
  type Optimizer,
  type Param,
  type TrainData,
  type TrainHistory,
  type TrainOptions,
  type TrainState,
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
 * gradient tape ({@link frozenRun}); the student's trainable params and the hint adapters'
 * params are differentiated in one `tf.variableGrads` call and updated by one optimizer:
 * {@link fit} is core's `train()` with the adapters as `extraParams`, so every core option,
 * `TrainState` and `Callback` works unchanged (the grads passed to `onAfterBackward` include the
 * adapters', keyed by their param names). Call {@link dispose} to free the adapters.
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
    return [...this.student.trainableParams(), ...this.adapterParams()];
  }

  /** Names of the loss terms, in the order of {@link evaluate}'s result. */
  get termNames(): string[] {
    return [...(this.response ? ['response'] : []), ...this.hints.map((h) => h.name)];
  }

  /**
   * The weighted total loss and each unweighted term on one batch (student in training mode
   * when `training`). Call inside a gradient scope to differentiate; the teacher is frozen.
   */
  losses(batch: Batch, options: { training?: boolean; teacher?: FrozenResult } = {}): { total: tf.Scalar; terms: tf.Scalar[] } {
    return tf.tidy(() => {
      const t = options.teacher ?? frozenRun(this.teacher, batch.x, this.teacherCapture);
      const s = this.student.run(batch.x, { training: options.training ?? false, capture: this.studentCapture });
      return this.combine(s, t, batch.y);
    });
  }

  /** Unweighted loss terms by name on one batch, student in inference mode (no update). */
  evaluate(batch: Batch): Record<string, number> {
    const values = tf.tidy(() => tf.stack(this.losses(batch).terms).dataSync());
    return Object.fromEntries(this.termNames.map((n, i) => [n, values[i]!]));
  }

  /**
   * One optimization step (core's `trainStep` with the adapters as extra params, running the
   * callbacks' `onAfterBackward`); returns the total loss and the unweighted terms. Pass
   * `teacherOutputs` (owned by the caller) to skip the teacher's forward.
   */
  step(batch: Batch, optimizer: Optimizer, callbacks: readonly Callback[], state: TrainState, teacherOutputs?: FrozenResult): { loss: number; terms: number[] } {
    let terms: tf.Tensor | undefined;
    try {
      const loss = trainStep(this.student, batch, this.lossSpec(() => teacherOutputs, (t) => (terms = t)), optimizer, callbacks, state, this.studentCapture, this.adapterParams());
      return { loss, terms: Array.from(terms!.dataSync()) };
    } finally {
      terms?.dispose();
    }
  }

  /**
   * Trains the student (and adapters) on `data` with core's `train()`, options and callbacks.
   * Creates (and disposes) an Adam optimizer unless one is given. The teacher is never updated.
   */
  async fit(data: TrainData, options: FitOptions = {}): Promise<DistillHistory> {
    const { cacheTeacher, ...trainOptions } = options;
    const tensorData = typeof data === 'function' ? undefined : data;
    if (cacheTeacher && !tensorData) throw new ConfigError('distill: cacheTeacher needs whole-tensor data ({ x, y }), not a batch generator');
    const names = this.termNames;
    const terms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const sums = names.map(() => 0);
    let count = 0;
    let pending: tf.Tensor | undefined;
    const record: Callback = {
      onEpochBegin: () => {
        sums.fill(0);
        count = 0;
      },
      onBatchEnd: () => {
        pending?.dataSync().forEach((v, i) => (sums[i]! += v));
        pending?.dispose();
        pending = undefined;
        count++;
      },
      onEpochEnd: () => names.forEach((n, i) => terms[n]!.push(count ? sums[i]! / count : NaN)),
    };
    const cache = cacheTeacher && tensorData ? this.teacherOutputs(tensorData.x) : undefined;
    try {
      const rows = cache && batchRows(tensorData!.x.shape[0]!, options.batchSize ?? 32, options.seed ?? 0);
      const loss = this.lossSpec((ctx) => (cache && rows ? gatherRows(cache, rows(ctx.state, ctx.batch)) : undefined), (t) => {
        pending?.dispose();
        pending = t;
      });
      const history = await train(this.student, data, {
        ...trainOptions, loss, capture: this.studentCapture, extraParams: this.adapterParams(), callbacks: [record, ...(options.callbacks ?? [])],
      });
      return { ...history, terms };
    } finally {
      pending?.dispose();
      if (cache) disposeResult(cache);
    }
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

  private adapterParams(): Param[] {
    return [...this.adapters.values()].flatMap((a) => a.params);
  }

  /** Weighted total and unweighted terms from the student's and the teacher's forward results. */
  private combine(s: FrozenResult, t: FrozenResult, labels: tf.Tensor): { total: tf.Scalar; terms: tf.Scalar[] } {
    const terms: tf.Scalar[] = [];
    const weighted: tf.Scalar[] = [];
    if (this.response) {
      const r = this.response(s.output, t.output, labels);
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
    return { total: weighted.reduce((a, b) => tf.add(a, b)) as tf.Scalar, terms };
  }

  /**
   * Core loss of the distillation (student output and features from core's forward, capture =
   * the student nodes). `teacherOf` may supply the teacher's outputs (else the frozen teacher
   * runs on the batch); `onTerms` receives the unweighted terms, stacked and kept (it owns them).
   */
  private lossSpec(teacherOf: (ctx: LossContext) => FrozenResult | undefined, onTerms: (terms: tf.Tensor) => void): (ctx: LossContext) => tf.Scalar {
    return (ctx) => {
      const t = teacherOf(ctx) ?? frozenRun(this.teacher, ctx.batch.x, this.teacherCapture);
      const { total, terms } = this.combine(ctx, t, ctx.batch.y);
      onTerms(tf.keep(tf.stack(terms)));
      return total;
    };
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

/**
 * Rows of the current batch in core's `train()` with whole-tensor data: epoch e visits
 * `shuffledIndices(n, seed + e)` in chunks of `batchSize` (core's documented order).
 */
function batchRows(n: number, batchSize: number, seed: number): (state: TrainState, batch: Batch) => Int32Array {
  let epoch = -1;
  let order = new Int32Array(0);
  return (state, batch) => {
    if (state.epoch !== epoch) {
      epoch = state.epoch;
      order = Int32Array.from(shuffledIndices(n, seed + epoch));
    }
    const rows = order.subarray(state.batchIndex * batchSize, Math.min(n, (state.batchIndex + 1) * batchSize));
    if (rows.length !== batch.x.shape[0]) throw new ConfigError(`distill: cached teacher rows (${rows.length}) do not match batch ${state.batchIndex} (${batch.x.shape[0]} samples)`, {}, { code: 'DATA' });
    return rows;
  };
}

/** The cached teacher results of `rows` (tensors owned by the enclosing tidy). */
function gatherRows(cache: FrozenResult, rows: Int32Array): FrozenResult {
  const idx = tf.tensor1d(rows, 'int32');
  return {
    output: tf.gather(cache.output, idx),
    captured: Object.fromEntries(Object.entries(cache.captured).map(([id, t]) => [id, tf.gather(t, idx)])),
  };
}

function disposeResult(r: FrozenResult): void {
  r.output.dispose();
  for (const t of Object.values(r.captured)) t.dispose();
}
