import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRng, getOp, type ForwardContext, type Graph, type Model, type NodeId } from '@bonsai/core';
import { fakeQuant } from './fake-quant';
import type { QParams } from './qparams';
import { paramFromQuantized, QuantizedModel, type QuantizedTensor } from './quantized-model';
import { annealedBeta, roundingSettings, SoftRounding, type RoundingOptions } from './soft-rounding';

/** Options of {@link blockReconstruction}. */
export interface BlockReconstructionOptions extends RoundingOptions {
  /**
   * The blocks, reconstructed in this order: `'residual'` (default, {@link reconstructionBlocks}) or
   * lists of node ids (each list's nodes in any order; graph inputs excluded; no node in two blocks).
   */
  blocks?: 'residual' | ReadonlyArray<readonly NodeId[]>;
  /** Learn the step size of every per-tensor activation quantizer inside a block jointly (LSQ, Esser et al. 2020; default false). */
  learnActivationScales?: boolean;
  /** Adam learning rate on the log of the activation step sizes (default 1e-3). */
  scaleLr?: number;
  /** Nodes whose rounding stays nearest (their activation step size can still be learned). */
  skip?: readonly NodeId[];
}

/** Per block: its nodes, the output error of nearest and of learned rounding on the data, and what changed. */
export interface BlockReconstructionReport {
  blocks: Array<{
    nodes: NodeId[];
    /** Quantized weights whose rounding was learned. */
    params: string[];
    /** Activation nodes whose step size was learned. */
    activations: NodeId[];
    /** Mean squared error of the block outputs vs float, over the data. */
    nearestError: number;
    learnedError: number;
    /** Integers that moved from nearest rounding. */
    changed: number;
    kept: 'learned' | 'nearest';
  }>;
}

/**
 * Default reconstruction blocks: the graph cut wherever exactly one tensor is live (a residual
 * block ends at its add, a chain is cut after every node), and every piece without a weighted
 * node merged into the piece before it (a conv and its ReLU form one block). Graph inputs are in no block.
 */
export function reconstructionBlocks(graph: Graph): NodeId[][] {
  const nodes = graph.nodes.filter((n) => !getOp(n.op, n.id).graphInput);
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const lastUse = new Map<NodeId, number>();
  for (const n of graph.nodes) for (const i of n.inputs) lastUse.set(i, Math.max(lastUse.get(i) ?? -1, position.get(n.id)!));
  const pieces: NodeId[][] = [];
  let current: NodeId[] = [];
  const live = new Set<NodeId>(graph.inputs);
  for (const n of nodes) {
    const at = position.get(n.id)!;
    current.push(n.id);
    live.add(n.id);
    for (const id of [...live]) if ((lastUse.get(id) ?? -1) <= at && id !== n.id) live.delete(id);
    if (live.size === 1) {
      pieces.push(current);
      current = [];
    }
  }
  if (current.length) pieces.push(current);
  const weighted = (piece: NodeId[]): boolean => piece.some((id) => getOp(graph.node(id).op, id).weightParam !== null);
  const blocks: NodeId[][] = [];
  for (const piece of pieces) {
    if (blocks.length && (!weighted(piece) || !weighted(blocks[blocks.length - 1]!))) blocks[blocks.length - 1]!.push(...piece);
    else blocks.push(piece);
  }
  return blocks;
}

/** A block's nodes in graph order, the tensors it reads from outside and those read outside it (or graph outputs). */
function blockPlan(graph: Graph, ids: readonly NodeId[]): { nodes: NodeId[]; inputs: NodeId[]; outputs: NodeId[] } {
  const inBlock = new Set(ids);
  const nodes = graph.nodes.filter((n) => inBlock.has(n.id)).map((n) => n.id);
  const inputs = [...new Set(nodes.flatMap((id) => graph.node(id).inputs.filter((i) => !inBlock.has(i))))];
  const outputs = nodes.filter((id) => graph.outputs.includes(id) || graph.consumers(id).some((c) => !inBlock.has(c)));
  return { nodes, inputs, outputs };
}

/** Straight-through rounding: round forward, identity gradient (so the LSQ step-size gradient flows). */
const roundSte = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({ value: tf.round(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => dy }));

/** LSQ fake quantization with a learnable step `scale` (scalar tensor) and a fixed zero point. */
function lsqQuant(x: tf.Tensor, scale: tf.Tensor, qp: QParams): tf.Tensor {
  const z = qp.zeroPoint[0]!;
  return tf.mul(tf.sub(tf.clipByValue(tf.add(roundSte(tf.div(x, scale)), z), qp.qmin, qp.qmax), z), scale);
}

/** Captures `ids` of `model` on `data` in batches of 32, concatenated. */
function captureAll(model: Model, ids: readonly NodeId[], data: tf.Tensor): tf.Tensor[] {
  const parts: tf.Tensor[][] = ids.map(() => []);
  const n = data.shape[0]!;
  for (let i = 0; i < n; i += 32) {
    const xb = tf.slice(data, i, Math.min(32, n - i));
    const r = model.run(xb, { capture: [...ids] });
    ids.forEach((id, k) => parts[k]!.push(tf.clone(r.captured[id]!)));
    tf.dispose([xb, ...r.outputs, ...Object.values(r.captured)]);
  }
  return parts.map((p) => {
    const t = tf.concat(p);
    tf.dispose(p);
    return t;
  });
}

/**
 * Block reconstruction (BRECQ, Li et al. ICLR 2021): AdaRound's learned rounding with the loss
 * on a whole block's output instead of one layer's. Per block in order, the rounding of all of
 * its quantized weights is learned jointly to minimise `Σ ||block_q(x_q) - block(x)||²` (x_q: the
 * block's inputs in the quantized model with the earlier blocks already reconstructed, x: the
 * float inputs; activations inside the block and at its outputs are fake-quantized as the
 * quantized model does, so the loss sees their rounding) plus AdaRound's annealed regulariser.
 * With `learnActivationScales` the block's per-tensor activation step sizes are learned too
 * (LSQ, straight-through rounding). A block keeps nearest rounding and its scales when the
 * learned ones reconstruct worse on the data. `reference` is the float model with the same node
 * ids (e.g. the PreparedModel). Returns a new model (the input is unchanged).
 * @throws ConfigError for out-of-range options, unknown, duplicated or graph-input block nodes, or empty data.
 */
export function blockReconstruction(quantized: QuantizedModel, reference: Model, data: tf.Tensor, options: BlockReconstructionOptions = {}): { model: QuantizedModel; report: BlockReconstructionReport } {
  const settings = roundingSettings('blockReconstruction', options);
  const scaleLr = options.scaleLr ?? 1e-3;
  if (!(scaleLr > 0)) throw new ConfigError(`blockReconstruction: scaleLr ${scaleLr} is out of range`, { option: 'scaleLr' });
  if ((data.shape[0] ?? 0) === 0) throw new ConfigError('blockReconstruction: the data holds no samples', {}, { code: 'QUANTIZE' });
  const g = quantized.graph;
  const skip = new Set(options.skip ?? []);
  for (const id of skip) if (!g.has(id)) throw new ConfigError(`blockReconstruction: skip: no node "${id}" in the graph`, { nodeId: id, option: 'skip' }, { code: 'UNKNOWN_NODE' });
  const blocks = options.blocks === undefined || options.blocks === 'residual' ? reconstructionBlocks(g) : options.blocks.map((b) => [...b]);
  const seen = new Set<NodeId>();
  for (const b of blocks) {
    if (b.length === 0) throw new ConfigError('blockReconstruction: blocks: a block is empty', { option: 'blocks' });
    for (const id of b) {
      if (!g.has(id)) throw new ConfigError(`blockReconstruction: blocks: no node "${id}" in the graph`, { nodeId: id, option: 'blocks' }, { code: 'UNKNOWN_NODE' });
      if (getOp(g.node(id).op, id).graphInput) throw new ConfigError(`blockReconstruction: blocks: "${id}" is a graph input`, { nodeId: id, option: 'blocks' });
      if (seen.has(id)) throw new ConfigError(`blockReconstruction: blocks: "${id}" is in two blocks`, { nodeId: id, option: 'blocks' });
      seen.add(id);
    }
  }
  const rng = createRng(settings.seed);
  const weights = new Map<string, QuantizedTensor>(quantized.quantizedWeights);
  const acts = new Map<NodeId, QParams>(quantized.activationQParams);
  const copy = quantized.clone();
  const out = new QuantizedModel(copy.graph, copy.params, quantized.seed, quantized.mode, weights, acts);
  const report: BlockReconstructionReport = { blocks: [] };
  try {
    for (const ids of blocks) {
      const plan = blockPlan(g, ids);
      const inputs = captureAll(out, plan.inputs, data);
      const targets = captureAll(reference, plan.outputs, data);
      try {
        report.blocks.push(reconstructBlock(out, reference, plan, inputs, targets, weights, acts, skip, { ...settings, scaleLr, learnScales: options.learnActivationScales ?? false, rng }));
      } finally {
        tf.dispose([...inputs, ...targets]);
      }
    }
    return { model: out, report };
  } catch (e) {
    out.dispose();
    throw e;
  }
}

type BlockSettings = ReturnType<typeof roundingSettings> & { scaleLr: number; learnScales: boolean; rng: () => number };

/** Learns one block's roundings (and activation steps); updates `model`, `weights` and `acts` in place when learned beats nearest. */
function reconstructBlock(
  model: QuantizedModel, reference: Model, plan: { nodes: NodeId[]; inputs: NodeId[]; outputs: NodeId[] }, inputs: tf.Tensor[], targets: tf.Tensor[],
  weights: Map<string, QuantizedTensor>, acts: Map<NodeId, QParams>, skip: ReadonlySet<NodeId>, o: BlockSettings,
): BlockReconstructionReport['blocks'][number] {
  const g = model.graph;
  const roundings = new Map<string, SoftRounding>();
  const scales = new Map<NodeId, tf.Variable>();
  try {
    for (const id of plan.nodes) {
      const role = getOp(g.node(id).op, id).weightParam;
      const name = role ? model.param(id, role)?.name : undefined;
      const q = name ? weights.get(name) : undefined;
      if (role && name && q && !skip.has(id)) {
        const floatParam = reference.param(id, role);
        if (!floatParam) throw new ConfigError(`blockReconstruction: the reference model has no param "${name}"`, { nodeId: id }, { code: 'QUANTIZE' });
        const w = tf.tidy(() => tf.clone(floatParam.effective()));
        roundings.set(name, new SoftRounding(w, q));
        w.dispose();
      }
      const qp = acts.get(id);
      if (o.learnScales && qp && qp.axis === undefined) {
        const zero = tf.scalar(0);
        scales.set(id, tf.variable(zero));
        zero.dispose();
      }
    }
    // One forward pass of the block on inputs [start, start + k) with `kernels` by param name; `learnedSteps`: the LSQ steps, else the fixed ones.
    const forward = (start: number, k: number, kernels: ReadonlyMap<string, tf.Tensor>, learnedSteps: boolean): tf.Tensor[] => {
      const values = new Map<NodeId, tf.Tensor>(plan.inputs.map((id, i) => [id, tf.slice(inputs[i]!, start, k)]));
      for (const id of plan.nodes) {
        const node = g.node(id);
        const params: Record<string, tf.Tensor> = {};
        for (const role of Object.keys(g.paramSpecs(id))) {
          const p = model.param(id, role)!;
          params[role] = kernels.get(p.name) ?? p.value;
        }
        const ctx: ForwardContext = { training: false, nodeId: id, rng: () => 0, updates: [], momentum: undefined };
        let y = getOp(node.op, id).forward(node.inputs.map((i) => values.get(i)!), params, node.attrs, ctx);
        const qp = acts.get(id);
        const step = scales.get(id);
        if (qp && step && learnedSteps) y = lsqQuant(y, tf.mul(qp.scale[0]!, tf.exp(step)), qp);
        else if (qp) y = fakeQuant(y, qp);
        values.set(id, y);
      }
      return plan.outputs.map((id) => values.get(id)!);
    };
    const n = inputs[0]?.shape[0] ?? targets[0]!.shape[0]!;
    const errorOf = (kernels: ReadonlyMap<string, tf.Tensor>, learnedSteps: boolean): number => tf.tidy(() => {
      let sum = 0;
      for (let i = 0; i < n; i += 32) {
        const k = Math.min(32, n - i);
        forward(i, k, kernels, learnedSteps).forEach((y, j) => { sum += tf.sum(tf.squaredDifference(y, tf.slice(targets[j]!, i, k))).dataSync()[0]! / targets[j]!.size; });
      }
      return sum;
    });
    const nearestKernels = new Map([...roundings].map(([name, r]) => [name, r.nearest]));
    const nearestError = errorOf(nearestKernels, false);
    const norm = Math.max(nearestError, 1e-30);
    const bs = Math.min(o.batchSize, n);
    const vars = [...[...roundings.values()].map((r) => r.v), ...scales.values()];
    if (vars.length && o.iterations > 0) {
      const roundOpt = tf.train.adam(o.lr);
      const scaleOpt = tf.train.adam(o.scaleLr);
      try {
        for (let t = 0; t < o.iterations; t++) {
          const start = Math.floor(o.rng() * (n - bs + 1));
          const beta = annealedBeta(o, t);
          const { value, grads } = tf.variableGrads(() => {
            const soft = new Map([...roundings].map(([name, r]) => [name, r.soft()]));
            const ys = forward(start, bs, soft, true);
            let loss: tf.Tensor = tf.scalar(0);
            ys.forEach((y, j) => { loss = tf.add(loss, tf.div(tf.mean(tf.squaredDifference(y, tf.slice(targets[j]!, start, bs))), norm)); });
            if (beta !== undefined && roundings.size) {
              const reg = tf.addN([...roundings.values()].map((r) => r.regularizer(beta)));
              loss = tf.add(loss, tf.mul(tf.div(reg, roundings.size), o.regularization));
            }
            return loss as tf.Scalar;
          }, vars);
          const pick = (vs: readonly tf.Variable[]): Array<{ name: string; tensor: tf.Tensor }> => vs.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
          if (roundings.size) roundOpt.applyGradients(pick([...roundings.values()].map((r) => r.v)));
          if (scales.size) scaleOpt.applyGradients(pick([...scales.values()]));
          tf.dispose([value, ...Object.values(grads)]);
        }
      } finally {
        roundOpt.dispose();
        scaleOpt.dispose();
      }
    }
    const hard = new Map([...roundings].map(([name, r]) => [name, r.hard()]));
    const hardKernels = new Map([...hard].map(([name, h]) => [name, h.kernel]));
    const learnedError = errorOf(hardKernels, true);
    tf.dispose([...hardKernels.values()]);
    const kept = learnedError < nearestError ? 'learned' : 'nearest';
    let changed = 0;
    if (kept === 'learned') {
      for (const [name, { values }] of hard) {
        const r = roundings.get(name)!;
        changed += r.changed(values);
        const next: QuantizedTensor = { shape: r.q.shape, values, qparams: r.q.qparams };
        weights.set(name, next);
        const p = model.params.get(name)!;
        const fresh = paramFromQuantized(name, next, p.trainable);
        p.assign(fresh.value);
        fresh.dispose();
      }
      for (const [id, step] of scales) {
        const qp = acts.get(id)!;
        const s = qp.scale[0]! * Math.exp(step.dataSync()[0]!);
        acts.set(id, { ...qp, scale: Float32Array.of(s) });
      }
    }
    return { nodes: plan.nodes, params: [...roundings.keys()], activations: [...scales.keys()], nearestError, learnedError, changed, kept };
  } finally {
    for (const r of roundings.values()) r.dispose();
    tf.dispose([...scales.values()]);
  }
}
