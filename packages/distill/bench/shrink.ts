import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@bonsai/core';
import { smallCnn } from '@bonsai/models';

/**
 * Emulates 80% structured (channel) pruning of a `smallCnn` until @bonsai/prune's Pruner is
 * available: builds the same architecture with `keep` of the channels per layer and copies the
 * teacher's top-L1 output channels (conv filters, BN statistics, dense columns), slicing each
 * following layer's input axis to match, including flatten's NHWC expansion into fc1.
 */
export function shrinkSmallCnn(teacher: Model, o: { widths: readonly number[]; hidden: number; keep: number; seed: number }): Model {
  const widths = o.widths.map((w) => Math.max(1, Math.round(w * o.keep)));
  const convWidths = widths.flatMap((w) => [w, w]);
  const hidden = Math.max(1, Math.round(o.hidden * o.keep));
  const student = smallCnn({ widths, hidden, seed: o.seed });
  const copy = (node: string, role: string, value: tf.Tensor) => {
    tf.tidy(() => student.param(node, role)!.assign(value)); // Param.assign leaks a cast copy outside tidy
    value.dispose();
  };
  let inIdx: number[] | undefined;
  convWidths.forEach((w, i) => {
    const n = i + 1;
    const kernel = teacher.param(`conv${n}`, 'kernel')!.value;
    const out = topL1(kernel, 3, w);
    copy(`conv${n}`, 'kernel', tf.tidy(() => gatherAxes(kernel, [[2, inIdx], [3, out]])));
    for (const role of ['gamma', 'beta', 'movingMean', 'movingVariance']) {
      copy(`bn${n}`, role, tf.tidy(() => gatherAxes(teacher.param(`bn${n}`, role)!.value, [[0, out]])));
    }
    inIdx = out;
  });
  // flatten: NHWC position p = (h * W + w) * C + c, so kept rows are p * C + c for kept c.
  const fc1 = teacher.param('fc1', 'kernel')!.value;
  const channels = teacher.graph.shape(teacher.graph.node('flatten').inputs[0]!);
  const positions = channels[0]! * channels[1]!;
  const c = channels[2]!;
  const rows: number[] = [];
  for (let p = 0; p < positions; p++) for (const k of inIdx!) rows.push(p * c + k);
  const fcOut = topL1(fc1, 1, hidden);
  copy('fc1', 'kernel', tf.tidy(() => gatherAxes(fc1, [[0, rows], [1, fcOut]])));
  copy('fc1', 'bias', tf.tidy(() => gatherAxes(teacher.param('fc1', 'bias')!.value, [[0, fcOut]])));
  copy('fc2', 'kernel', tf.tidy(() => gatherAxes(teacher.param('fc2', 'kernel')!.value, [[0, fcOut]])));
  copy('fc2', 'bias', tf.tidy(() => tf.clone(teacher.param('fc2', 'bias')!.value)));
  return student;
}

/** Indices (ascending) of the `k` slices along `axis` with the largest L1 norm. */
function topL1(t: tf.Tensor, axis: number, k: number): number[] {
  const scores = tf.tidy(() => {
    const others = t.shape.map((_, i) => i).filter((i) => i !== axis);
    return tf.sum(tf.abs(t), others).dataSync();
  });
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k).sort((a, b) => a - b);
}

function gatherAxes(t: tf.Tensor, picks: ReadonlyArray<[number, number[] | undefined]>): tf.Tensor {
  let r = t;
  for (const [axis, idx] of picks) if (idx) r = tf.gather(r, tf.tensor1d(idx, 'int32'), axis);
  return r === t ? tf.clone(t) : r;
}
