import { describe, expect, it } from 'vitest';
import { Graph, GraphBuilder, compactGraphJson, validateModelJson } from '../src/index';

function graph(): Graph {
  const b = new GraphBuilder();
  const x = b.input([8, 8, 1], { name: 'x' });
  let h = b.relu(b.conv2d(x, { filters: 4, kernel: 3, name: 'conv' }));
  h = b.conv2d(h, { filters: 4, kernel: 3, strides: 2, useBias: false, name: 'down' });
  h = b.maxPool(h, { pool: 2, strides: 1 });
  const y = b.dense(b.flatten(h), { units: 3, name: 'fc' });
  return b.build(y);
}

describe('compactGraphJson', () => {
  it('drops attributes equal to their default, keeps the others, and reads back to the same graph', () => {
    const g = graph();
    const full = g.toJSON();
    const compact = compactGraphJson(g);
    const conv = compact.nodes.find((n) => n.id === 'conv')!;
    expect(Object.keys(conv.attrs)).not.toContain('strides');
    expect(Object.keys(conv.attrs)).not.toContain('useBias');
    expect(conv.attrs.filters).toBe(4);
    const down = compact.nodes.find((n) => n.id === 'down')!;
    expect(down.attrs.strides).toEqual([2, 2]);
    expect(down.attrs.useBias).toBe(false);
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(full).length);
    // Loading fills the defaults back in: node for node the same attributes as the original.
    expect(new Graph(compact).toJSON()).toEqual(full);
  });
});

describe('validateModelJson', () => {
  const doc = (params: unknown[]): unknown => ({ format: 'bonsai-model', formatVersion: 1, graph: { inputs: [], outputs: [], nodes: [] }, seed: 0, params, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] });

  it('fills in the default param flags a compact file leaves out, without touching its input', () => {
    const params = [{ name: 'fc/kernel' }, { name: 'fc/bias', trainable: false, masked: true }];
    const json = validateModelJson(doc(params));
    expect(json.params).toEqual([{ name: 'fc/kernel', trainable: true, masked: false }, { name: 'fc/bias', trainable: false, masked: true }]);
    expect(params[0]).toEqual({ name: 'fc/kernel' });
  });

  it('still rejects flags of the wrong type', () => {
    expect(() => validateModelJson(doc([{ name: 'fc/kernel', trainable: 'yes' }]))).toThrow(/malformed param entry/);
  });
});
