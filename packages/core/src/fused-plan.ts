import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from './ir/graph';
import { paramName, type Node, type NodeId } from './ir/types';
import { getOp } from './ops/registry';
import type { KernelActivation, OpSpec } from './ops/spec';

/** One node of an execution plan: its op and the full names of its params, resolved once. */
export interface PlanStep {
  readonly node: Node;
  readonly spec: OpSpec;
  readonly params: ReadonlyArray<readonly [role: string, name: string]>;
}

/**
 * An inference-mode chain run as one fused tfjs kernel: a conv/dense `producer`, the batch norm
 * reading only it (folded into its kernel and bias), and the activation reading only that. The
 * chain's value is the value of node `output`.
 */
export interface FusedChain {
  readonly fused: true;
  readonly producer: PlanStep;
  readonly norm: PlanStep | undefined;
  readonly activation: KernelActivation;
  readonly output: NodeId;
}

/** Builds the plan step of one node. */
export function planStep(graph: Graph, node: Node): PlanStep {
  return { node, spec: getOp(node.op, node.id), params: Object.keys(graph.paramSpecs(node.id)).map((role) => [role, paramName(node.id, role)] as const) };
}

/**
 * The inference plan of `steps` (one graph version): every producer whose spec has
 * `fusedInference` becomes a {@link FusedChain} with the batch norm (`inferenceAffine`) and the
 * activation (`kernelActivation`) that follow it alone; absorbed nodes are dropped. A node that
 * is a graph output or feeds more than one consumer ends its chain.
 */
export function fusedPlan(graph: Graph, steps: readonly PlanStep[]): Array<PlanStep | FusedChain> {
  const byId = new Map(steps.map((s) => [s.node.id, s]));
  const outputs = new Set(graph.outputs);
  const soleConsumer = (id: NodeId): PlanStep | undefined => {
    const c = graph.consumers(id);
    if (c.length !== 1 || outputs.has(id)) return undefined;
    const s = byId.get(c[0]!);
    return s && s.node.inputs.length === 1 ? s : undefined;
  };
  const absorbed = new Set<NodeId>();
  const out: Array<PlanStep | FusedChain> = [];
  for (const step of steps) {
    if (absorbed.has(step.node.id)) continue;
    const { spec, node } = step;
    if (!spec.fusedInference?.accepts(node.attrs) || !spec.foldsBatchNorm) {
      out.push(step);
      continue;
    }
    let last = node.id;
    let norm = soleConsumer(last);
    if (norm?.spec.inferenceAffine) last = norm.node.id;
    else norm = undefined;
    const act = soleConsumer(last);
    const activation = act?.spec.kernelActivation;
    if (act && activation) last = act.node.id;
    if (norm) absorbed.add(norm.node.id);
    if (act && activation) absorbed.add(act.node.id);
    out.push({ fused: true, producer: step, norm, activation: activation ?? 'linear', output: last });
  }
  return out;
}

/**
 * Runs a {@link FusedChain} on input `x`: folds the batch norm into the kernel and bias
 * (`kernel * scale` per output channel, `bias * scale + shift`) and calls the producer's fused
 * kernel. `params` returns a node's effective params by role. Call inside `tf.tidy`.
 */
export function runFused(chain: FusedChain, x: tf.Tensor, params: (step: PlanStep) => Record<string, tf.Tensor>): tf.Tensor {
  const { producer, norm } = chain;
  const fold = producer.spec.foldsBatchNorm!;
  const p = params(producer);
  let kernel = p[fold.kernel]!;
  let bias = p[fold.bias];
  if (norm) {
    const { scale, shift } = norm.spec.inferenceAffine!(params(norm), norm.node.attrs);
    kernel = tf.mul(kernel, tf.reshape(scale, [...fold.scaleShape(kernel.shape)]));
    bias = bias ? tf.add(tf.mul(bias, scale), shift) : shift;
  }
  return producer.spec.fusedInference!.run(x, kernel, bias, producer.node.attrs, chain.activation);
}
