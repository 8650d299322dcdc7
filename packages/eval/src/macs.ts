import { getOp, type Model } from '@bonsai/core';
import { nonZeroCounts } from './params';
import { checkModel } from './validate';

/** One node's multiply-accumulates. */
export interface MacsRow {
  node: string;
  op: string;
  /** Dense MACs per sample, from the op's `macs` formula. */
  macs: number;
  /** Fraction of nonzero values in the node's effective weight (its spec's `weightParam`; 1 for nodes without one). */
  density: number;
  /** MACs that touch a nonzero weight: `macs * density`. */
  effective: number;
}

/** MAC counts of a model, per sample (batch 1). FLOPs are about twice the MACs. */
export interface MacsReport {
  /** Dense MACs: every weight counted, zero or not. */
  dense: number;
  /** MACs with nonzero weights only (what a sparse kernel would execute). */
  effective: number;
  /** Nodes with nonzero MACs, in topological order. */
  nodes: MacsRow[];
}

/**
 * Multiply-accumulates per sample: each node's `getOp(op).macs(inputShapes, shape, attrs)`
 * summed (`dense`), plus `effective` MACs that count only nonzero weights: for every node whose
 * op has a `weightParam` (conv, depthwise, dense) its MACs times that weight's density. Each kernel
 * value takes part in the same number of MACs, so this is exact for those ops. Note the wasm
 * backend has no sparse kernels: effective MACs predict what sparsity could save, not latency.
 */
export function countMacs(model: Model): MacsReport {
  checkModel(model, 'countMacs');
  const g = model.graph;
  const base: Array<{ node: string; op: string; macs: number; weight: string | null }> = [];
  for (const node of g.nodes) {
    const spec = getOp(node.op, node.id);
    if (spec.graphInput) continue;
    const macs = spec.macs(g.inputShapes(node.id), g.shape(node.id), node.attrs);
    if (macs > 0) base.push({ node: node.id, op: node.op, macs, weight: spec.weightParam });
  }
  const kernels = base.map((r) => (r.weight === null ? undefined : model.param(r.node, r.weight)));
  const present = kernels.filter((k) => k !== undefined);
  const counts = nonZeroCounts(present);
  let j = 0;
  const nodes = base.map(({ weight: _weight, ...r }, i): MacsRow => {
    const k = kernels[i];
    const nz = k ? counts[j++]! : 0;
    const density = k ? (k.size ? nz / k.size : 0) : 1;
    return { ...r, density, effective: r.macs * density };
  });
  return {
    dense: nodes.reduce((a, r) => a + r.macs, 0),
    effective: nodes.reduce((a, r) => a + r.effective, 0),
    nodes,
  };
}
