import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from './errors';
import type { Graph } from './ir/graph';
import type { NodeId } from './ir/types';
import { paramName } from './ir/types';
import { initialValue } from './init';
import { resolveInputs, type ModelInputs } from './inputs';
import { fusedPlan, planStep, runFused, type FusedChain, type PlanStep } from './fused-plan';
import type { ForwardContext, StateUpdate } from './ops/spec';
import { Param } from './param';
import { createRng, hashSeed, type Rng } from './util/rng';

/** Options of {@link Model.run}. */
export interface RunOptions {
  /** Training mode: batch statistics in BN (running stats updated), dropout active. */
  training?: boolean;
  /** Nodes whose activations are returned too (features for distillation, calibration, Taylor). */
  capture?: readonly NodeId[];
  /** Skip applying BN running-statistic updates in training mode. */
  skipStateUpdates?: boolean;
  /**
   * Momentum for this pass's running-statistic updates instead of each node's `momentum`
   * attribute (batch-norm re-estimation averages batches with (k-1)/k). Graph attributes are
   * never rewritten.
   */
  momentum?: number;
  /**
   * Inference only: run conv/dense + batch norm + activation chains as one fused tfjs kernel with
   * the batch norm folded in. Default: for batches of {@link FUSE_MIN_BATCH} or more (below
   * that, re-folding and re-packing the kernels each call costs more than it saves). Never in
   * training, under a gradient tape (`tf.grad`), with `capture`, or in subclasses that rewrite params or activations. Outputs match
   * the unfused pass up to float rounding.
   */
  fuse?: boolean;
  /**
   * Whether gradients may be taken w.r.t. the graph's inputs (default true). `trainStep`
   * passes false: values computed from the inputs alone are then constants of the pass
   * ({@link ForwardContext.constantInputs}) and the first conv skips its input gradient.
   * Ignored in subclasses that rewrite params or activations (their hooks may add trainable
   * values anywhere).
   */
  inputGrads?: boolean;
}

/** Smallest batch that {@link RunOptions.fuse} fuses by default (measured on wasm: smallCnn breaks even at 4-8). */
export const FUSE_MIN_BATCH = 8;

/** Result of {@link Model.run}: the graph's outputs and the captured activations. */
export interface RunResult {
  output: tf.Tensor;
  outputs: tf.Tensor[];
  captured: Record<NodeId, tf.Tensor>;
}

/** Options of {@link Model.create}. */
export interface CreateOptions {
  /** Seed of the deterministic initialization (default 0). */
  seed?: number;
}

/** A random stream that must not be drawn from: inference passes are pure functions of their inputs. */
const inferenceRng: Rng = () => {
  throw new ConfigError('an op drew a random number in inference mode; random ops must check ctx.training');
};

/**
 * A graph plus its parameters. Parameters are keyed `${nodeId}/${role}`.
 * The executor runs ops in topological order on tfjs-core; gradients flow through masks.
 */
export class Model {
  private trainingPasses = 0;
  private plan: { version: number; steps: readonly PlanStep[]; fused?: ReadonlyArray<PlanStep | FusedChain> } | undefined;
  /** Name of this model's dropout random stream (seeded by the model seed and the training-pass count). */
  protected readonly dropoutStream: string = 'dropout';

  constructor(
    readonly graph: Graph,
    readonly params: Map<string, Param>,
    /** Seed used for initialization and dropout. */
    readonly seed = 0,
  ) {
    for (const node of graph.nodes) {
      const specs = graph.paramSpecs(node.id);
      for (const [role, spec] of Object.entries(specs)) {
        const p = params.get(paramName(node.id, role));
        if (!p) throw new ConfigError(`Node "${node.id}" is missing param "${role}"`, { nodeId: node.id, param: role }, { code: 'PARAM' });
        if (p.shape.length !== spec.shape.length || p.shape.some((d, i) => d !== spec.shape[i])) {
          throw new ShapeError(`param "${role}" has shape [${p.shape.join(', ')}], the op expects [${spec.shape.join(', ')}]`, node.id);
        }
      }
    }
  }

  /** Creates a model with freshly initialized (seeded) parameters. */
  static create(graph: Graph, options: CreateOptions = {}): Model {
    const seed = options.seed ?? 0;
    const params = new Map<string, Param>();
    for (const node of graph.nodes) {
      for (const [role, spec] of Object.entries(graph.paramSpecs(node.id))) {
        const name = paramName(node.id, role);
        const v = initialValue(spec.init, spec.shape, seed, name);
        params.set(name, new Param(name, v, spec.trainable));
        v.dispose();
      }
    }
    return new Model(graph, params, seed);
  }

  /** The param `role` of node `nodeId`, if it exists. */
  param(nodeId: NodeId, role: string): Param | undefined {
    return this.params.get(paramName(nodeId, role));
  }

  /** All params of one node, by role. */
  nodeParams(nodeId: NodeId): Record<string, Param> {
    const out: Record<string, Param> = {};
    for (const role of Object.keys(this.graph.paramSpecs(nodeId))) {
      const p = this.param(nodeId, role);
      if (p) out[role] = p;
    }
    return out;
  }

  /** Params updated by gradients. */
  trainableParams(): Param[] {
    return [...this.params.values()].filter((p) => p.trainable);
  }

  /** Runs the graph; returns the first output. Inference mode unless `training` is set. */
  forward(inputs: ModelInputs, options: { training?: boolean } = {}): tf.Tensor {
    const r = this.run(inputs, options);
    return r.output;
  }

  /** The execution plan of the current graph version (built once per version, not per call). */
  private steps(): readonly PlanStep[] {
    const version = this.graph.version;
    if (this.plan?.version !== version) this.plan = { version, steps: this.graph.nodes.map((node) => planStep(this.graph, node)) };
    return this.plan.steps;
  }

  /** The fused inference plan of the current graph version (built once per version). */
  private fusedSteps(): ReadonlyArray<PlanStep | FusedChain> {
    const steps = this.steps();
    this.plan!.fused ??= fusedPlan(this.graph, steps);
    return this.plan!.fused;
  }

  /** Whether inference may fuse: the param and activation hooks are Model's own (no subclass rewrites them). */
  private canFuse(): boolean {
    return this.paramValue === Model.prototype.paramValue && this.nodeOutput === Model.prototype.nodeOutput;
  }

  /**
   * Runs the graph and returns all outputs plus the activations of `capture` nodes. Inference
   * (the default) draws no random numbers and changes no state; only training passes advance
   * the dropout stream and (unless `skipStateUpdates`) the running statistics.
   */
  run(inputs: ModelInputs, options: RunOptions = {}): RunResult {
    return this.execute(inputs, options) as RunResult;
  }

  /**
   * The activations of `nodes` only (inference): runs just the nodes they depend on, not the
   * rest of the graph (a probe of an early layer costs that layer's share of the pass). The
   * values are those {@link run} captures.
   */
  activations(inputs: ModelInputs, nodes: readonly NodeId[]): Record<NodeId, tf.Tensor> {
    const needed = new Set<NodeId>();
    const stack = [...nodes];
    while (stack.length) {
      const id = stack.pop()!;
      if (needed.has(id)) continue;
      needed.add(id);
      stack.push(...this.graph.node(id).inputs);
    }
    return this.execute(inputs, { capture: nodes }, needed).captured;
  }

  /** {@link run}, or with `needed` only those nodes (no outputs then). */
  private execute(inputs: ModelInputs, options: RunOptions, needed?: ReadonlySet<NodeId>): Omit<RunResult, 'output'> & { output?: tf.Tensor } {
    const training = options.training ?? false;
    const feeds = resolveInputs(this.graph, inputs);
    const captureSet = new Set(options.capture ?? []);
    for (const id of captureSet) this.graph.node(id);
    if (options.momentum !== undefined && !(options.momentum >= 0 && options.momentum <= 1)) {
      throw new ConfigError(`run: momentum must be in [0, 1], got ${options.momentum}`, { option: 'momentum' });
    }
    const batch = feeds.values().next().value?.shape[0] ?? 0;
    // Not under a gradient tape (Taylor scores, saliency): fused kernels have no gradients on wasm.
    const taped = tf.engine().state.gradientDepth > 0;
    const fuse = !training && !taped && (options.fuse ?? batch >= FUSE_MIN_BATCH) && captureSet.size === 0 && this.canFuse();
    const steps = fuse ? this.fusedSteps() : this.steps();
    // Nodes whose value depends on a param; the others are constants of the pass (inputGrads: false).
    const variable = options.inputGrads === false && this.canFuse() ? new Set<NodeId>() : undefined;
    const rng = training ? createRng(hashSeed(this.seed, `${this.dropoutStream}:${this.trainingPasses++}`)) : inferenceRng;
    const pending: Array<{ nodeId: NodeId; updates: StateUpdate[] }> = [];
    const result = tf.tidy(() => {
      const values = new Map<NodeId, tf.Tensor>();
      const paramsOf = (names: PlanStep['params']): Record<string, tf.Tensor> => {
        const params: Record<string, tf.Tensor> = {};
        for (const [role, name] of names) {
          const p = this.params.get(name);
          if (p) params[role] = this.paramValue(p, p.effective(), training);
        }
        return params;
      };
      for (const step of steps) {
        if ('fused' in step) {
          const x = values.get(step.producer.node.inputs[0]!)!;
          values.set(step.output, runFused(step, x, (s) => paramsOf(s.params)));
          continue;
        }
        const { node, spec, params: names } = step;
        if (needed && !needed.has(node.id)) continue;
        let out: tf.Tensor;
        if (spec.graphInput) out = feeds.get(node.id)!;
        else {
          if (variable && (names.length > 0 || node.inputs.some((i) => variable.has(i)))) variable.add(node.id);
          const constantInputs = variable && node.inputs.map((i) => !variable.has(i));
          const ctx: ForwardContext = { training, nodeId: node.id, rng, updates: [], momentum: options.momentum, constantInputs };
          out = spec.forward(node.inputs.map((i) => values.get(i)!), paramsOf(names), node.attrs, ctx);
          if (ctx.updates.length) pending.push({ nodeId: node.id, updates: ctx.updates });
        }
        values.set(node.id, this.nodeOutput(node.id, out, training));
      }
      const outputs = needed ? [] : this.graph.outputs.map((id) => values.get(id)!);
      const captured: Record<NodeId, tf.Tensor> = {};
      for (const id of captureSet) captured[id] = values.get(id)!;
      if (training && !options.skipStateUpdates) {
        for (const { nodeId, updates } of pending) {
          for (const u of updates) this.param(nodeId, u.param)?.value.assign(u.value);
        }
      }
      return { output: outputs[0], outputs, captured };
    });
    return result;
  }

  /**
   * The value node ops receive for param `p` (its effective value by default). Subclasses
   * rewrite it, e.g. to fake-quantize weights. Called inside the forward pass's `tf.tidy`.
   */
  protected paramValue(_p: Param, value: tf.Tensor, _training: boolean): tf.Tensor {
    return value;
  }

  /**
   * A node's output as its consumers (and captures) see it, input nodes included (unchanged by
   * default). Subclasses rewrite it, e.g. to observe or quantize activations.
   */
  protected nodeOutput(_nodeId: NodeId, value: tf.Tensor, _training: boolean): tf.Tensor {
    return value;
  }

  /** Inference over many samples in batches; returns the concatenated first output. */
  predict(x: tf.Tensor, options: { batchSize?: number } = {}): tf.Tensor {
    const bs = options.batchSize ?? 256;
    const n = x.shape[0]!;
    if (n <= bs) return this.forward(x);
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < n; i += bs) {
      const xb = tf.slice(x, [i], [Math.min(bs, n - i)]);
      parts.push(this.forward(xb));
      xb.dispose();
    }
    const out = tf.concat(parts, 0);
    parts.forEach((t) => t.dispose());
    return out;
  }

  /** Deep copy: same graph (cloned) and copies of all params and masks. */
  clone(): Model {
    const params = new Map<string, Param>();
    for (const [name, p] of this.params) {
      const q = new Param(name, p.value, p.trainable);
      if (p.mask) q.setMask(p.mask);
      params.set(name, q);
    }
    return new Model(this.graph.clone(), params, this.seed);
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
