import * as tf from '@tensorflow/tfjs-core';
import { getOp, Graph, Model, Param, paramName, type GraphJSON, type Node, type NodeId } from '@bonsai/core';

/** A batch-norm node that can be folded into the op producing its input. */
export interface FoldablePair {
  /** The producing node (its spec's `foldsBatchNorm` says how: conv2d, depthwiseConv2d, dense). */
  producer: NodeId;
  /** The batchNorm node reading only it. */
  batchNorm: NodeId;
}

/**
 * Batch-norm nodes whose input is produced by an op that folds batch norm (its spec's
 * `foldsBatchNorm`) and feeds nothing else and is not a graph output.
 */
export function foldablePairs(graph: Graph): FoldablePair[] {
  const out: FoldablePair[] = [];
  for (const n of graph.nodes) {
    if (getOp(n.op, n.id).norm !== 'batch') continue;
    const src = graph.node(n.inputs[0]!);
    if (!getOp(src.op, src.id).foldsBatchNorm || graph.consumers(src.id).length !== 1 || graph.outputs.includes(src.id)) continue;
    out.push({ producer: src.id, batchNorm: n.id });
  }
  return out;
}

/**
 * Folds inference-mode batch norm into the preceding conv/dense: with
 * `f = gamma / sqrt(movingVariance + epsilon)`, kernel' = kernel * f (per output channel) and
 * bias' = beta + (bias - movingMean) * f. Returns a new model without those BN nodes (their
 * consumers read the conv directly; masks are kept); the input model is unchanged. Outputs
 * match the original in inference mode up to float rounding.
 */
export function foldBatchNorm(model: Model): Model {
  const graph = model.graph;
  const pairs = foldablePairs(graph);
  const bnOf = new Map(pairs.map((p) => [p.producer, p.batchNorm]));
  const replaced = new Map(pairs.map((p) => [p.batchNorm, p.producer]));
  const remap = (id: NodeId): NodeId => replaced.get(id) ?? id;
  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    if (replaced.has(n.id)) continue;
    const attrs = bnOf.has(n.id) ? getOp(n.op, n.id).foldsBatchNorm!.foldedAttrs(n.attrs) : n.attrs;
    nodes.push({ id: n.id, op: n.op, inputs: n.inputs.map(remap), attrs });
  }
  const json: GraphJSON = { inputs: [...graph.inputs], outputs: graph.outputs.map(remap), nodes };
  const folded = new Graph(JSON.parse(JSON.stringify(json)) as GraphJSON);
  const params = new Map<string, Param>();
  try {
    for (const [name, p] of model.params) {
      if (replaced.has(p.nodeId) || bnOf.has(p.nodeId)) continue;
      params.set(name, copyParam(p));
    }
    for (const { producer, batchNorm } of pairs) {
      const { kernel, bias } = foldPair(model, producer, batchNorm, folded);
      params.set(kernel.name, kernel);
      params.set(bias.name, bias);
    }
    return new Model(folded, params, model.seed);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  }
}

function copyParam(p: Param, value: tf.Tensor = p.value): Param {
  const q = new Param(p.name, value, p.trainable);
  if (p.mask) q.setMask(p.mask);
  return q;
}

function foldPair(model: Model, producer: NodeId, batchNorm: NodeId, folded: Graph): { kernel: Param; bias: Param } {
  const node = model.graph.node(producer);
  const fold = getOp(node.op, producer).foldsBatchNorm!;
  const bnAttrs = model.graph.node(batchNorm).attrs;
  const eps = typeof bnAttrs.epsilon === 'number' ? bnAttrs.epsilon : 1e-3;
  const bn = model.nodeParams(batchNorm);
  const k = model.param(producer, fold.kernel)!;
  const b = model.param(producer, fold.bias);
  const [kernelValue, biasValue] = tf.tidy(() => {
    const f = tf.div(bn.gamma!.value, tf.sqrt(tf.add(bn.movingVariance!.value, eps)));
    // The spec says how the per-output-channel factor lines up with its kernel.
    const fk = tf.reshape(f, [...fold.scaleShape(k.shape)]);
    const kernel = tf.mul(k.value, fk);
    const bias0 = b ? b.effective() : tf.zerosLike(f);
    const bias = tf.add(bn.beta!.value, tf.mul(tf.sub(bias0, bn.movingMean!.value), f));
    return [kernel, bias];
  });
  const kernel = copyParam(k, kernelValue!);
  const bias = new Param(paramName(producer, fold.bias), biasValue!, folded.paramSpecs(producer)[fold.bias]?.trainable ?? true);
  kernelValue!.dispose();
  biasValue!.dispose();
  return { kernel, bias };
}
