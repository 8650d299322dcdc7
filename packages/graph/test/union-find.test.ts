import { describe, expect, it } from 'vitest';
import { UnionFind } from '../src/union-find';

describe('UnionFind', () => {
  it('roots() gives every element the representative find() gives', () => {
    const n = 500;
    const a = new UnionFind(n);
    const b = new UnionFind(n);
    for (let i = 0; i < 400; i++) {
      const x = (i * 7919) % n;
      const y = (i * 104729 + 13) % n;
      a.union(x, y);
      b.union(x, y);
    }
    const roots = a.roots();
    expect(roots.length).toBe(n);
    for (let i = 0; i < n; i++) expect(roots[i]).toBe(b.find(i));
  });
});
