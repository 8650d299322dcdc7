import * as tf from '@tensorflow/tfjs-core';
import { axisMagnitudeTensors, type Model } from '@bonsai/core';
import type { Member } from '@bonsai/graph';

/**
 * Per-position magnitudes (`|v|^p` summed over every axis but one, core's `axisMagnitudeTensors`)
 * of every (param, axis) the given members need, where `v = paramValue(name)` (default: the
 * param's effective value; Taylor passes its accumulated `|w·g|`). `|v|^p` is computed once per
 * param however many groups and axes use it, the reductions run on the backend, and all sums
 * come back to JS in one read. `at(member)` returns the member's per-position sums.
 */
export class MagnitudeTable {
  private readonly sums = new Map<string, Map<number, Float32Array>>();

  constructor(model: Model, members: Iterable<Member>, p: number, paramValue: (name: string) => tf.Tensor = (name) => model.params.get(name)!.effective()) {
    const axes = new Map<string, Set<number>>();
    for (const m of members) {
      let set = axes.get(m.name);
      if (!set) {
        set = new Set();
        axes.set(m.name, set);
      }
      set.add(m.axis);
    }
    const entries = [...axes].map(([name, set]) => [name, [...set]] as const);
    if (entries.length === 0) return;
    const flat = tf.tidy(() => {
      // One tidy per param frees its |w|^p before the next one is computed (the heap stays small).
      const parts = entries.flatMap(([name, list]) => tf.tidy(() => axisMagnitudeTensors(paramValue(name), list, { p })));
      return tf.concat(parts);
    });
    const all = flat.dataSync() as Float32Array;
    flat.dispose();
    let offset = 0;
    for (const [name, list] of entries) {
      const shape = model.params.get(name)?.shape ?? [];
      const byAxis = new Map<number, Float32Array>();
      for (const a of list) {
        const n = shape.length ? shape[a]! : 1;
        byAxis.set(a, all.subarray(offset, offset + n));
        offset += n;
      }
      this.sums.set(name, byAxis);
    }
  }

  /** Per-position sums along `member.axis` of the member's param. */
  at(member: Member): Float32Array {
    return this.sums.get(member.name)!.get(member.axis)!;
  }
}
