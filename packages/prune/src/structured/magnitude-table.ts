import * as tf from '@tensorflow/tfjs-core';
import { tensorAxisMagnitudes, type Model } from '@bonsai/core';
import type { Member } from '@bonsai/graph';

/** The values a {@link MagnitudeTable} reads for one param: `value * mask` (mask optional). Not disposed. */
export interface MagnitudeSource {
  readonly value: tf.Tensor;
  readonly mask?: tf.Tensor | undefined;
}

/**
 * Per-position magnitudes (`|v|^p` summed over every axis but one, core's `tensorAxisMagnitudes`) of
 * every (param, axis) the given members need, where `v = value * mask` from `source(name)`
 * (default: the param's variable and mask; Taylor passes its accumulated `|w·g|` tensor). Each param is
 * read once, in place (the wasm heap: no copy, no `|w|^p` tensor; a SIMD kernel there when it can),
 * however many groups and axes use it; a ResNet-50 step reads 25M weights, the backend route (abs,
 * sum, pool, read back) took ~4x as long as a JS loop, and the JS loop ~4x the SIMD kernel.
 * `at(member)` returns the member's per-position sums.
 */
export class MagnitudeTable {
  private readonly sums = new Map<string, Map<number, Float64Array>>();

  constructor(model: Model, members: Iterable<Member>, p: number, source: (name: string) => MagnitudeSource | tf.Tensor = (name) => model.params.get(name)!) {
    const axes = new Map<string, Set<number>>();
    for (const m of members) {
      let set = axes.get(m.name);
      if (!set) {
        set = new Set();
        axes.set(m.name, set);
      }
      set.add(m.axis);
    }
    for (const [name, set] of axes) {
      const list = [...set];
      const src = source(name);
      const { value, mask } = src instanceof tf.Tensor ? { value: src, mask: undefined } : src;
      const sums = tensorAxisMagnitudes(value, list, mask ? { p, mask } : { p });
      this.sums.set(name, new Map(list.map((a, k) => [a, sums[k]!])));
    }
  }

  /** Per-position sums along `member.axis` of the member's param. */
  at(member: Member): Float64Array {
    return this.sums.get(member.name)!.get(member.axis)!;
  }
}
