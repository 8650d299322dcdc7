/**
 * Position runs of a group member: flat triples `(pos, unit, len)`, ascending and disjoint by
 * position, meaning positions `pos .. pos + len - 1` belong to units `unit .. unit + len - 1`. A
 * conv's out-channels in a full group are one run; a flattened channel's features are `spatial`
 * runs; an arbitrary selection degrades to runs of length 1, so the form is always exact.
 */
export type Runs = Int32Array;

/**
 * Accumulates runs for one member key in emission order (units ascending). Runs that arrive in
 * ascending, disjoint position order are merged as they come; anything else (overlaps, e.g. the
 * grouped-conv in-axis, or descending positions) is resolved exactly by {@link RunBuilder.finish}:
 * each position keeps its smallest unit.
 */
export class RunBuilder {
  private data: Int32Array = new Int32Array(12);
  private n = 0;
  private ordered = true;

  /** @param width Number of positions along the member's axis (bounds every position). */
  constructor(readonly width: number) {}

  /** Positions `pos .. pos + len - 1` belong to units `unit .. unit + len - 1`. */
  add(pos: number, unit: number, len: number): void {
    const d = this.data;
    const n = this.n;
    if (n > 0) {
      const lp = d[n - 3]!;
      const lu = d[n - 2]!;
      const ll = d[n - 1]!;
      if (lp + ll === pos && lu + ll === unit) {
        d[n - 1] = ll + len;
        return;
      }
      if (lp + ll > pos) this.ordered = false;
    }
    if (n + 3 > d.length) {
      const grown = new Int32Array(d.length * 2);
      grown.set(d);
      this.data = grown;
    }
    this.data[n] = pos;
    this.data[n + 1] = unit;
    this.data[n + 2] = len;
    this.n = n + 3;
  }

  /** The runs, ascending and disjoint by position, adjacent runs merged. */
  finish(): Runs {
    if (this.ordered) return this.data.slice(0, this.n);
    const first = new Int32Array(this.width).fill(-1);
    const d = this.data;
    for (let r = 0; r < this.n; r += 3) {
      const pos = d[r]!;
      const unit = d[r + 1]!;
      const len = d[r + 2]!;
      for (let k = 0; k < len; k++) {
        const f = first[pos + k]!;
        if (f < 0 || f > unit + k) first[pos + k] = unit + k;
      }
    }
    return runsOfPositions(first);
  }
}

/** Runs of a dense position -> unit table (`-1`: position not in the member). */
export function runsOfPositions(first: Int32Array): Runs {
  const out = new RunBuilder(first.length);
  for (let p = 0; p < first.length; p++) if (first[p]! >= 0) out.add(p, first[p]!, 1);
  return out.finish();
}

/** Number of positions the runs cover. */
export function runsLength(runs: Runs): number {
  let n = 0;
  for (let r = 2; r < runs.length; r += 3) n += runs[r]!;
  return n;
}

/** The runs expanded: positions ascending and the unit of each. */
export function expandRuns(runs: Runs): { indices: number[]; units: number[] } {
  const n = runsLength(runs);
  const indices = new Array<number>(n);
  const units = new Array<number>(n);
  let k = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const pos = runs[r]!;
    const unit = runs[r + 1]!;
    const len = runs[r + 2]!;
    for (let j = 0; j < len; j++, k++) {
      indices[k] = pos + j;
      units[k] = unit + j;
    }
  }
  return { indices, units };
}
