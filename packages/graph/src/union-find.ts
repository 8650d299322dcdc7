/** Disjoint sets over `0 .. n-1` (path halving + union by size). */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  /** Representative of `x`'s set. */
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }

  /** The representative of every element (as {@link find} gives it), as one array. */
  roots(): Int32Array {
    const out = new Int32Array(this.parent.length);
    for (let i = 0; i < out.length; i++) out[i] = this.find(i);
    return out;
  }

  /** Merges the sets of `a` and `b`. */
  union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] = this.size[ra]! + this.size[rb]!;
  }
}
