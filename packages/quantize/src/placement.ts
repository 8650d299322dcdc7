import { ConfigError, getOp, type Graph, type Model, type NodeId } from '@bonsai/core';
import type { ObserverKind, ObserverSpec } from './observers';
import { resolveScheme, type QuantScheme, type ResolvedScheme } from './scheme';


/** Scheme and observer of one kind of tensor (weights or activations). */
export type TensorQuantOptions = QuantScheme & { observer?: ObserverSpec | ObserverKind };

/** Options shared by quantizeDynamic, prepareStatic and prepareQat. */
export interface QuantizeOptions {
  /** Weight quantization (default int8, symmetric, per-channel, minmax observer). */
  weights?: TensorQuantOptions;
  /** Activation quantization (default int8, affine, per-tensor; minmax for static, movingAverage for QAT). */
  activations?: TensorQuantOptions;
  /** Nodes whose outputs are quantized (default: graph inputs and every conv/dense/add/... output, after a fused ReLU). */
  activationNodes?: readonly NodeId[];
  /** Nodes whose weights stay float. */
  skip?: readonly NodeId[];
  /**
   * Per-node activation observer overriding `activations.observer` (e.g. `{ relu_5: 'kl',
   * logits: { kind: 'percentile', percentile: 99.9 } }`); every key must be a quantized activation node.
   */
  activationObservers?: Readonly<Record<NodeId, ObserverSpec | ObserverKind>>;
  /** Fold batch norm into the preceding conv/dense first (default true). */
  foldBatchNorm?: boolean;
}

/** Default weight scheme: int8 symmetric per-channel. */
export const DEFAULT_WEIGHT_SCHEME: QuantScheme = { dtype: 'int8', symmetric: true, perChannel: true };
/** Default activation scheme: int8 affine per-tensor. */
export const DEFAULT_ACTIVATION_SCHEME: QuantScheme = { dtype: 'int8', symmetric: false, perChannel: false };

function checkNodes(graph: Graph, ids: readonly NodeId[] | undefined, option: string): void {
  for (const id of ids ?? []) {
    if (!graph.has(id)) throw new ConfigError(`${option}: no node "${id}" in the graph`, { nodeId: id, option }, { code: 'UNKNOWN_NODE' });
  }
}

/** Weight params to quantize, each with its resolved scheme (axis = the param's output-channel axis). */
export function weightTargets(model: Model, options: QuantizeOptions): Map<string, ResolvedScheme> {
  checkNodes(model.graph, options.skip, 'skip');
  const skip = new Set(options.skip ?? []);
  const out = new Map<string, ResolvedScheme>();
  for (const node of model.graph.nodes) {
    const op = getOp(node.op, node.id);
    if (op.weightParam === null || skip.has(node.id)) continue;
    for (const role of [op.weightParam, ...(op.extraWeightParams ?? [])]) {
      const spec = model.graph.paramSpecs(node.id)[role];
      const p = model.param(node.id, role);
      if (!spec || !p) continue;
      const axis = options.weights?.axis ?? spec.quantAxis ?? spec.outAxis ?? spec.inAxis ?? spec.shape.length - 1;
      const scheme = resolveScheme({ ...options.weights, axis }, DEFAULT_WEIGHT_SCHEME, `weights of "${node.id}"`);
      if (scheme.axis !== undefined && scheme.axis >= p.shape.length) {
        throw new ConfigError(`weights of "${node.id}": axis ${scheme.axis} is out of range for a kernel of shape [${p.shape.join(', ')}]`, { nodeId: node.id });
      }
      out.set(p.name, scheme);
    }
  }
  return out;
}

/** Resolved activation scheme; per-channel activations are refused. */
export function activationScheme(options: QuantizeOptions): ResolvedScheme {
  const s = resolveScheme(options.activations, DEFAULT_ACTIVATION_SCHEME, 'activations');
  if (s.perChannel) throw new ConfigError('activations: per-channel activation quantization is not supported; use per-tensor', { perChannel: true });
  return s;
}

/**
 * Nodes whose outputs get quantized. Default: graph inputs and the output of every op that
 * computes new values, except that an op followed only by a fused activation (ReLU, ReLU6) is
 * quantized after the activation (as integer kernels do); ops whose spec says `quantPassthrough`
 * (max pooling, flatten, reshape, dropout, split, ReLU) keep their input's grid.
 */
export function activationTargets(graph: Graph, options: QuantizeOptions): NodeId[] {
  if (options.activationNodes) {
    checkNodes(graph, options.activationNodes, 'activationNodes');
    return [...new Set(options.activationNodes)];
  }
  const out: NodeId[] = [];
  const spec = (id: NodeId) => getOp(graph.node(id).op, id);
  for (const node of graph.nodes) {
    const op = spec(node.id);
    if (op.graphInput) {
      out.push(node.id);
      continue;
    }
    const consumers = graph.consumers(node.id);
    const fusedInto = consumers.length === 1 && !graph.outputs.includes(node.id) ? spec(consumers[0]!) : undefined;
    if (op.fusedActivation) {
      const src = spec(node.inputs[0]!);
      if (!src.quantPassthrough && !src.graphInput && graph.consumers(node.inputs[0]!).length === 1) out.push(node.id);
      continue;
    }
    if (op.quantPassthrough) continue;
    if (fusedInto?.fusedActivation) continue;
    out.push(node.id);
  }
  return out;
}
