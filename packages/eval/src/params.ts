import * as tf from '@tensorflow/tfjs-core';
import type { Model, Param } from '@bonsai/core';
import { formatCount, formatPercent, markdownTable } from './format';
import { checkModel } from './validate';

/** Which params to count. */
export interface CountOptions {
  /** Count only params trained by gradients (skips BN running statistics). Default false. */
  trainableOnly?: boolean;
}

/** Number of parameter values (all params, or trainable ones only). Masks do not change it. */
export function countParams(model: Model, options: CountOptions = {}): number {
  checkModel(model, 'countParams');
  let n = 0;
  for (const p of selected(model, options)) n += p.size;
  return n;
}

/**
 * Number of nonzero values in the effective parameters (`value * mask` while a mask is
 * attached), the count unstructured pruning reduces.
 */
export function countNonZero(model: Model, options: CountOptions = {}): number {
  checkModel(model, 'countNonZero');
  const counts = nonZeroCounts(selected(model, options));
  return counts.reduce((a, b) => a + b, 0);
}

/** One node's row of a {@link ParamReport}. */
export interface ParamRow {
  node: string;
  op: string;
  /** Shape of each param, by role. */
  shapes: Record<string, number[]>;
  /** All parameter values of the node (BN running statistics included). */
  params: number;
  /** Values of the node trained by gradients. */
  trainableParams: number;
  /** Nonzero effective values of the node (all params). */
  nonZero: number;
  /** 1 - nonZero / params (0 for nodes without params). */
  sparsity: number;
  /** Whether any param of the node carries a mask. */
  masked: boolean;
}

/** Per-node parameter breakdown with totals and a Markdown table. */
export interface ParamReport {
  rows: ParamRow[];
  params: number;
  trainableParams: number;
  nonZero: number;
  sparsity: number;
  markdown: string;
}

/** Per-node parameter counts (nodes with params only, in topological order). */
export function paramReport(model: Model): ParamReport {
  checkModel(model, 'paramReport');
  const rows: ParamRow[] = [];
  for (const node of model.graph.nodes) {
    const ps = Object.values(model.nodeParams(node.id));
    if (ps.length === 0) continue;
    const nonZero = nonZeroCounts(ps).reduce((a, b) => a + b, 0);
    const params = ps.reduce((a, p) => a + p.size, 0);
    rows.push({
      node: node.id,
      op: node.op,
      shapes: Object.fromEntries(ps.map((p) => [p.role, [...p.shape]])),
      params,
      trainableParams: ps.filter((p) => p.trainable).reduce((a, p) => a + p.size, 0),
      nonZero,
      sparsity: params ? 1 - nonZero / params : 0,
      masked: ps.some((p) => p.mask !== undefined),
    });
  }
  const params = rows.reduce((a, r) => a + r.params, 0);
  const trainableParams = rows.reduce((a, r) => a + r.trainableParams, 0);
  const nonZero = rows.reduce((a, r) => a + r.nonZero, 0);
  const sparsity = params ? 1 - nonZero / params : 0;
  const table = markdownTable(
    ['node', 'op', 'shapes', 'params', 'non-zero', 'sparsity'],
    [
      ...rows.map((r) => [
        r.node + (r.masked ? ' (masked)' : ''),
        r.op,
        Object.entries(r.shapes).map(([k, s]) => `${k} [${s.join(', ')}]`).join(', '),
        formatCount(r.params),
        formatCount(r.nonZero),
        formatPercent(r.sparsity, 1),
      ]),
      ['**total**', '', '', formatCount(params), formatCount(nonZero), formatPercent(sparsity, 1)],
    ],
    3,
  );
  return { rows, params, trainableParams, nonZero, sparsity, markdown: table };
}

function selected(model: Model, options: CountOptions): Param[] {
  const all = [...model.params.values()];
  return options.trainableOnly ? all.filter((p) => p.trainable) : all;
}

/** Nonzero effective values of each param, read back in one transfer. */
export function nonZeroCounts(params: readonly Param[]): number[] {
  if (params.length === 0) return [];
  const t = tf.tidy(() => tf.stack(params.map((p) => tf.sum(tf.cast(tf.notEqual(p.effective(), 0), 'float32')))));
  const v = t.dataSync();
  t.dispose();
  return Array.from(v);
}
