import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, entryMagnitudes, smallestK, type Model, type NodeId } from '@bonsai/core';
import { formatPercent, markdownTable } from './format';
import { checkModel } from './validate';

/** Prunes node `node` of `clone` (a throwaway copy) to `ratio`. */
export type SensitivityPrune = (clone: Model, node: NodeId, ratio: number) => void | Promise<void>;

/** Options of {@link sensitivity}. */
export interface SensitivityOptions {
  /** Nodes to sweep (default: every node with a `kernel` param: conv, depthwise, dense). */
  nodes?: readonly NodeId[];
  /** Ratios to try per node, each in [0, 1] (default 0.1, 0.3, 0.5, 0.7, 0.9). */
  ratios?: readonly number[];
  /** Scores a model (higher is better, e.g. accuracy on a held-out batch). Must not keep the model. */
  evaluate: (model: Model) => number | Promise<number>;
  /** Pruning applied to each clone (default {@link l1KernelPrune}: unstructured L1 mask on the kernel). */
  prune?: SensitivityPrune;
}

/** Score of the model with one node pruned to one ratio. */
export interface SensitivityRow {
  node: NodeId;
  ratio: number;
  score: number;
  /** Score of the unpruned model. */
  baseline: number;
  /** score - baseline. */
  delta: number;
}

/** Default ratios of {@link sensitivity}. */
export const DEFAULT_SENSITIVITY_RATIOS: readonly number[] = [0.1, 0.3, 0.5, 0.7, 0.9];

/**
 * Layer-wise sensitivity analysis (Han et al. 2015, Li et al. 2017): for each node and ratio,
 * clones the model, prunes only that node to that ratio, scores the clone and disposes it.
 * The input model is left untouched. Rows come node by node, ratios in the given order.
 * @throws BonsaiError (`UNKNOWN_NODE`) for a node not in the graph, (`PARAM`) for a node
 *   without a kernel under the default prune; ConfigError for a ratio outside [0, 1].
 */
export async function sensitivity(model: Model, options: SensitivityOptions): Promise<SensitivityRow[]> {
  checkModel(model, 'sensitivity');
  if (options === null || typeof options !== 'object') throw new ConfigError('sensitivity: options { evaluate, nodes?, ratios?, prune? } are required', { argument: 'options' });
  if (typeof options.evaluate !== 'function') throw new ConfigError('sensitivity: an evaluate(model) function is required', { argument: 'evaluate' });
  if (options.prune !== undefined && typeof options.prune !== 'function') throw new ConfigError('sensitivity: prune must be a function (clone, node, ratio)', { argument: 'prune' });
  const prune = options.prune ?? l1KernelPrune;
  const nodes = options.nodes ?? model.graph.nodes.filter((n) => model.param(n.id, 'kernel')).map((n) => n.id);
  const ratios = options.ratios ?? DEFAULT_SENSITIVITY_RATIOS;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ConfigError('sensitivity: no nodes to sweep (pass nodes, or a model with kernels)', { argument: 'nodes' });
  if (!Array.isArray(ratios) || ratios.length === 0) throw new ConfigError('sensitivity: ratios must be a non-empty array', { argument: 'ratios' });
  for (const r of ratios) if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw new ConfigError(`sensitivity: ratio ${r} is outside [0, 1]`, { ratio: r });
  for (const id of nodes) {
    model.graph.node(id);
    if (!options.prune && !model.param(id, 'kernel')) throw new ConfigError(`sensitivity: node "${id}" has no kernel to prune`, { nodeId: id }, { code: 'PARAM' });
  }
  const evaluate = async (m: Model, what: string): Promise<number> => {
    const v = await options.evaluate(m);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`sensitivity: evaluate returned ${String(v)} for ${what}; it must return a finite number`, { argument: 'evaluate' });
    return v;
  };
  const baseline = await scoreClone(model, (m) => evaluate(m, 'the unpruned model'), () => undefined);
  const rows: SensitivityRow[] = [];
  for (const node of nodes) {
    for (const ratio of ratios) {
      const score = await scoreClone(model, (m) => evaluate(m, `node "${node}" at ratio ${ratio}`), (c) => prune(c, node, ratio));
      rows.push({ node, ratio, score, baseline, delta: score - baseline });
    }
  }
  return rows;
}

async function scoreClone(model: Model, evaluate: SensitivityOptions['evaluate'], prune: (c: Model) => void | Promise<void>): Promise<number> {
  const clone = model.clone();
  try {
    await prune(clone);
    return await evaluate(clone);
  } finally {
    clone.dispose();
  }
}

/**
 * Masks the `round(ratio * size)` smallest-magnitude values of `node`'s effective kernel
 * (torch's `l1_unstructured` on `weight`) with core's magnitude ranking (`entryMagnitudes`,
 * `smallestK`: ties to the lower index); values masked before count among them and stay masked.
 * @throws BonsaiError (`PARAM`) when the node has no kernel; ConfigError for a ratio outside [0, 1].
 */
export function l1KernelPrune(model: Model, node: NodeId, ratio: number): void {
  checkModel(model, 'l1KernelPrune');
  if (!(ratio >= 0 && ratio <= 1)) throw new ConfigError(`l1KernelPrune: ratio ${ratio} is outside [0, 1]`, { ratio });
  const p = model.param(node, 'kernel');
  if (!p) throw new ConfigError(`l1KernelPrune: node "${node}" has no kernel`, { nodeId: node }, { code: 'PARAM' });
  const k = Math.round(ratio * p.size);
  if (k === 0) return;
  const scores = entryMagnitudes(p.value.dataSync(), { p: 1, mask: p.mask?.dataSync() });
  const mask = new Float32Array(p.size).fill(1);
  for (const i of smallestK(scores, k)) mask[i] = 0;
  const m = tf.tidy(() => {
    const t = tf.tensor(mask, p.shape);
    return p.mask ? tf.mul(t, p.mask) : t;
  });
  p.setMask(m);
  m.dispose();
}

/** Markdown pivot of sensitivity rows: one line per node, one column per ratio, cells = score (delta). */
export function sensitivityTable(rows: readonly SensitivityRow[], format: (score: number) => string = (s) => formatPercent(s)): string {
  const ratios = [...new Set(rows.map((r) => r.ratio))];
  const nodes = [...new Set(rows.map((r) => r.node))];
  const cell = (node: NodeId, ratio: number): string => {
    const r = rows.find((x) => x.node === node && x.ratio === ratio);
    return r ? format(r.score) : '—';
  };
  const baseline = rows[0]?.baseline;
  const table = markdownTable(['node', ...ratios.map((r) => `${Math.round(r * 100)}%`)], nodes.map((n) => [n, ...ratios.map((r) => cell(n, r))]));
  return baseline === undefined ? table : `${table}\n\nUnpruned: ${format(baseline)}.`;
}
