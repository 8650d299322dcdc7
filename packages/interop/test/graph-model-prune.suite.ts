import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { DependencyGraph, modelStats } from '@bonsai/graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { importGraphModelArtifacts, toGraphModelArtifacts } from '../src/index';
import { attr, convAttr, TfGraphBuilder } from './graph-model-builder';
import { everyOtherUnit, loadStockGraphModel, seededInput, stockExecute, zeroGroup } from './graph-model-helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.reshape(b, a.shape)))).dataSync()[0]!);

/**
 * A converter-style graph with every coupling an imported CNN has: conv + AddV2 bias (folded),
 * a squeeze-excite gate (Mean keep_dims -> 1x1 convs -> Sigmoid -> Mul broadcast), a depthwise
 * conv, a residual AddV2, ConcatV2 with a second branch, SplitV, a BiasAdd-ed MatMul head.
 */
function seNet(): { art: ReturnType<TfGraphBuilder['build']>; out: string } {
  const b = new TfGraphBuilder(17);
  const fused = (name: string, x: string, k: number, cin: number, cout: number, act = 'Relu') =>
    b.op(name, '_FusedConv2D', [x, b.random(`${name}/w`, [k, k, cin, cout]), b.random(`${name}/b`, [cout])], { ...convAttr(), fused_ops: attr.strs(['BiasAdd', act]), num_args: attr.i(1) });
  const x = b.placeholder('image', [1, 8, 8, 3]);
  const stem = b.op('stem/add', 'AddV2', [b.op('stem', 'Conv2D', [x, b.random('stem/w', [3, 3, 3, 8])], convAttr()), b.random('stem/b', [8])]);
  const act = b.op('stem/relu', 'Relu6', [stem]);
  const dw = b.op('dw', 'DepthwiseConv2dNative', [act, b.random('dw/k', [3, 3, 8, 1])], convAttr());
  const squeeze = b.op('se/mean', 'Mean', [dw, b.ints('se/axes', [1, 2])], { keep_dims: attr.b(true) });
  const gate = fused('se/excite', fused('se/reduce', squeeze, 1, 8, 4), 1, 4, 8, 'Sigmoid');
  const se = b.op('se/mul', 'Mul', [dw, gate]);
  const res = b.op('res', 'AddV2', [se, act]);
  const branch = fused('branch', res, 3, 8, 6);
  const cat = b.op('cat', 'ConcatV2', [res, branch, b.ints('cat/axis', [-1], [])], { N: attr.i(2) });
  const split = b.op('split', 'SplitV', [cat, b.ints('split/sizes', [10, 4]), b.ints('split/axis', [-1], [])], { num_split: attr.i(2) });
  const merged = fused('merge', `${split}:0`, 1, 10, 12);
  const other = fused('other', `${split}:1`, 1, 4, 12);
  const sum = b.op('sum', 'AddV2', [merged, other]);
  const pooled = b.op('gap', 'Mean', [sum, b.ints('gap/axes', [1, 2])], { keep_dims: attr.b(false) });
  const logits = b.op('logits', 'BiasAdd', [b.op('fc', 'MatMul', [pooled, b.random('fc/k', [12, 5])]), b.random('fc/b', [5])]);
  const out = b.op('probs', 'Softmax', [logits]);
  return { art: b.build([`${out}:0`]), out: `${out}:0` };
}

describe('pruning through an imported graph (squeeze-excite Mul broadcast, depthwise, residual, ConcatV2, SplitV)', () => {
  it('zeroed channels pruned exactly leave the output unchanged (1e-5); the pruned export runs in stock tfjs-converter with the same output', async () => {
    const { art, out } = seNet();
    const model = importGraphModelArtifacts(art);
    // The AddV2 after the bias-free stem conv was folded into its bias.
    expect(model.graph.node('stem').attrs.useBias).toBe(true);
    const x = seededInput([8, 8, 3], 4);
    const stock = await loadStockGraphModel(art);
    const y = model.forward(x);
    const ref = stockExecute(stock, x, [out])[0]!;
    expect(maxDiff(y, ref)).toBeLessThan(1e-5);
    const dg = DependencyGraph.build(model);
    const picks = everyOtherUnit(dg);
    // The stem's residual stream (stem, depthwise, SE gate output, concat/split through both branches) and the inner convs.
    expect(picks.map((p) => p.root).sort()).toEqual(['branch', 'merge', 'se/reduce', 'stem'].sort());
    for (const p of picks) zeroGroup(model, p);
    const y0 = model.forward(x);
    const before = modelStats(model);
    dg.prune(picks);
    const after = modelStats(model);
    expect(after.params).toBeLessThan(before.params);
    const y1 = model.forward(x);
    expect(maxDiff(y0, y1)).toBeLessThan(1e-5);
    const pruned = await toGraphModelArtifacts(model);
    const back = await loadStockGraphModel(pruned);
    const y2 = stockExecute(back, x, [out])[0]!;
    expect(maxDiff(y1, y2)).toBeLessThan(1e-5);
    [x, y, ref, y0, y1, y2].forEach((t) => t.dispose());
    stock.dispose();
    back.dispose();
    model.dispose();
  });
});
