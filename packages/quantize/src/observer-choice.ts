import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import type { ObserverKind, ObserverSpec } from './observers';
import { activationTargets, type QuantizeOptions } from './placement';
import { prepareStatic } from './prepare';
import type { QParams } from './qparams';
import { activationView, type QuantizedModel } from './quantized-model';

/** Options of {@link chooseActivationObservers}. */
export interface ObserverChoiceOptions extends Omit<QuantizeOptions, 'activationObservers'> {
  /** Observers to choose from per node (default minmax, mse, percentile, kl). */
  candidates?: ReadonlyArray<ObserverKind | ObserverSpec>;
  /** Error of the model output against float: mean squared error (default) or mean KL(float || quantized) of softmax outputs. */
  metric?: 'mse' | 'kl';
  /** Batch size of the calibration and evaluation passes (default 32). */
  batchSize?: number;
}

/** The chosen observer per activation node, and per node the output error of every candidate. */
export interface ObserverChoice {
  observers: Record<NodeId, ObserverKind | ObserverSpec>;
  nodes: Array<{ node: NodeId; chosen: string; errors: Record<string, number> }>;
}

const label = (c: ObserverKind | ObserverSpec): string => (typeof c === 'string' ? c : JSON.stringify(c));

/** Error of output `b` against the reference output `a`: mean squared error, or mean KL(a || b) of probability rows. */
export function outputError(a: tf.Tensor, b: tf.Tensor, metric: 'mse' | 'kl'): number {
  return tf.tidy(() => {
    if (metric === 'mse') return tf.mean(tf.squaredDifference(a, b)).dataSync()[0]!;
    const p = tf.clipByValue(a, 1e-12, 1);
    const q = tf.clipByValue(b, 1e-12, 1);
    return tf.mean(tf.sum(tf.mul(p, tf.sub(tf.log(p), tf.log(q))), -1)).dataSync()[0]!;
  });
}

/**
 * Picks an activation observer per node by measurement: calibrates once per candidate (every node
 * with that observer), then walks the quantized activation nodes in graph order and keeps for
 * each node the candidate whose parameters give the smallest output error against float on `data`,
 * measured on the whole quantized model: earlier nodes at their choice (so compounding clipping
 * shows), later ones at the first candidate, weights quantized as `options.weights` says. Pass `observers` as `activationObservers` to
 * {@link prepareStatic}. Greedy: not a joint optimum.
 */
export function chooseActivationObservers(model: Model, data: tf.Tensor, options: ObserverChoiceOptions = {}): ObserverChoice {
  const candidates = options.candidates ?? ['minmax', 'mse', 'percentile', 'kl'];
  if (candidates.length === 0) throw new ConfigError('chooseActivationObservers: candidates is empty', { option: 'candidates' });
  const metric = options.metric ?? 'mse';
  if (metric !== 'mse' && metric !== 'kl') throw new ConfigError(`chooseActivationObservers: unknown metric ${JSON.stringify(metric)}`, { option: 'metric' });
  const batchSize = options.batchSize ?? 32;
  const { candidates: _c, metric: _m, batchSize: _b, ...quant } = options;
  const perCandidate: Array<ReadonlyMap<NodeId, QParams>> = [];
  let base: QuantizedModel | undefined;
  let reference: tf.Tensor | undefined;
  try {
    for (const c of candidates) {
      const prepared = prepareStatic(model, { ...quant, activations: { ...quant.activations, observer: c } });
      try {
        prepared.calibrate(data, { batchSize });
        const q = prepared.convert();
        perCandidate.push(q.activationQParams);
        if (base) q.dispose();
        else {
          base = q;
          reference = prepared.predict(data, { batchSize });
        }
      } finally {
        prepared.dispose();
      }
    }
    const b = base!;
    const order = activationTargets(b.graph, quant).filter((id) => perCandidate.every((m) => m.has(id)));
    const chosen = new Map<NodeId, QParams>();
    const result: ObserverChoice = { observers: {}, nodes: [] };
    for (const node of order) {
      const errors: Record<string, number> = {};
      let best = 0;
      candidates.forEach((c, k) => {
        const acts = new Map([...perCandidate[0]!].filter(([id]) => order.includes(id)));
        for (const [id, qp] of chosen) acts.set(id, qp);
        acts.set(node, perCandidate[k]!.get(node)!);
        const view = activationView(b, acts);
        const out = view.predict(data, { batchSize });
        errors[label(c)] = outputError(reference!, out, metric);
        out.dispose();
        if (errors[label(c)]! < errors[label(candidates[best]!)]!) best = k;
      });
      chosen.set(node, perCandidate[best]!.get(node)!);
      result.observers[node] = candidates[best]!;
      result.nodes.push({ node, chosen: label(candidates[best]!), errors });
    }
    return result;
  } finally {
    base?.dispose();
    reference?.dispose();
  }
}
