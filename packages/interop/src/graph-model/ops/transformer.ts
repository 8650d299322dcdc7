import { fail, floatConst, type TfImporter } from '../context';
import type { EmitContext, TfEmitter } from '../emit-context';
import { FLOAT_T, intAttr, type TfNode } from '../tf-attrs';
import { emitBatchedProjection } from './matmul';
import { tensorRef, type TfGraph } from '../topology';
import type { ConstValue } from '../weights';

/**
 * Transformer patterns of tfjs-converter GraphModels. The converter writes Keras / TF layer norm
 * and GELU as op chains; {@link fuseTransformerPatterns} finds them in the TF graph and replaces
 * each chain by one node of a pattern op below, which imports as Bonsai's `layerNorm`, `geluExact`
 * or `gelu` (so the pruner couples gamma/beta with the residual stream). Attention needs no
 * pattern: BatchMatMulV2 (two activations) imports as `batchMatMul`, Softmax as `softmax`.
 * Chains that do not match exactly keep their ops, and ops that only occur inside a pattern
 * (SquaredDifference, Erf, Pow) then fail import with a typed error naming the node.
 *
 * Layer norm (axes = the last axis, keep_dims): `m = Mean(x)`, `v = Mean(SquaredDifference(x, m))`,
 * `s = Mul(Rsqrt(AddV2(v, eps)), gamma)`, `y = AddV2(Mul(x, s), Sub(beta, Mul(m, s)))`
 * (tf.nn.batch_normalization's form) or `y = AddV2(Mul(x, s), AddV2(Mul(Neg(m), s), beta))` (Keras 3).
 * GELU: `y = x * 0.5 * (1 + Erf(x / sqrt 2))` (exact; `x / sqrt 2` as RealDiv or Mul) or
 * `y = x * 0.5 * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 * Pow(x, 3))))` (tanh form); the three
 * factors of the outer product may be grouped and ordered either way, as may every AddV2 / Mul.
 */
export const PATTERN_OPS = { layerNorm: '_PatternLayerNorm', gelu: '_PatternGelu' } as const;

type Consts = ReadonlyMap<string, ConstValue>;

interface Match {
  /** The node replacing the chain (named as the chain's output node). */
  node: TfNode;
  /** The chain's other nodes, removed from the graph. */
  internal: string[];
}

class Matcher {
  private readonly users = new Map<string, number>();

  constructor(
    private readonly graph: TfGraph,
    private readonly consts: Consts,
    outputs: readonly string[],
  ) {
    for (const n of graph.nodes.values()) for (const i of n.input) this.use(tensorRef(i).node);
    for (const o of outputs) this.use(tensorRef(o).node);
  }

  private use(name: string): void {
    this.users.set(name, (this.users.get(name) ?? 0) + 1);
  }

  /** The node producing output 0 of `ref` when its op is one of `ops`. */
  op(ref: string | undefined, ...ops: string[]): TfNode | undefined {
    if (ref === undefined) return undefined;
    const { node, index } = tensorRef(ref);
    const n = this.graph.nodes.get(node);
    return n && index === 0 && ops.includes(n.op) && !this.consts.has(node) ? n : undefined;
  }

  /** A Const's name when `ref` is one. */
  constName(ref: string | undefined): string | undefined {
    if (ref === undefined) return undefined;
    const { node, index } = tensorRef(ref);
    return index === 0 && this.consts.has(node) ? node : undefined;
  }

  /** Whether `ref` is a one-value float Const within 1e-4 (relative) of `v`. */
  scalar(ref: string | undefined, v: number): boolean {
    const c = this.consts.get(this.constName(ref) ?? '');
    return c?.dtype === 'float32' && c.values.length === 1 && Math.abs(c.values[0]! - v) <= 1e-4 * Math.abs(v);
  }

  /** The one-value float Const at `ref`, if it is one. */
  scalarValue(ref: string | undefined): number | undefined {
    const c = this.consts.get(this.constName(ref) ?? '');
    return c?.dtype === 'float32' && c.values.length === 1 ? c.values[0] : undefined;
  }

  /** Number of consumers of node `name` (graph outputs count). */
  uses(name: string): number {
    return this.users.get(name) ?? 0;
  }
}

/** The same tensor (`x` and `x:0` are one). */
const same = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && tensorRef(a).node === tensorRef(b).node && tensorRef(a).index === tensorRef(b).index;

/** Both operand orders of a binary node: [[in0, in1], [in1, in0]]. */
const orders = (n: TfNode): Array<[string, string]> => [[n.input[0]!, n.input[1]!], [n.input[1]!, n.input[0]!]];

/** Every internal node is used only inside the chain (`uses` within it) -> the chain may be replaced. */
function onlyInside(m: Matcher, uses: Record<string, number>): boolean {
  return Object.entries(uses).every(([name, k]) => m.uses(name) === k);
}

/**
 * The shift term `beta - mean * s`: `Sub(beta, Mul(mean, s))` (tf.nn.batch_normalization) or
 * `AddV2(Mul(Neg(mean), s), beta)` (Keras 3), Mul operands in either order. Returns beta, the
 * Mul, the mean's ref (given s), and the term's nodes.
 */
function shiftTerm(m: Matcher, ref: string): { beta: string; mul: TfNode; mean: (sRef: string) => string | undefined; nodes: string[] } | undefined {
  const other = (mul: TfNode, sRef: string): string | undefined => (same(mul.input[1], sRef) ? mul.input[0] : same(mul.input[0], sRef) ? mul.input[1] : undefined);
  const sub = m.op(ref, 'Sub');
  if (sub?.input.length === 2) {
    const beta = m.constName(sub.input[0]);
    const mul = m.op(sub.input[1], 'Mul');
    if (beta && mul?.input.length === 2) return { beta, mul, mean: (sRef) => other(mul, sRef), nodes: [sub.name] };
  }
  const add = m.op(ref, 'AddV2', 'Add');
  if (add?.input.length !== 2) return undefined;
  for (const [mRef, bRef] of orders(add)) {
    const beta = m.constName(bRef);
    const mul = m.op(mRef, 'Mul');
    if (!beta || mul?.input.length !== 2) continue;
    for (const neg of [m.op(mul.input[0], 'Neg'), m.op(mul.input[1], 'Neg')]) {
      if (neg) return { beta, mul, mean: (sRef) => (same(other(mul, sRef), neg.name) ? neg.input[0] : undefined), nodes: [add.name, neg.name] };
    }
  }
  return undefined;
}

function matchLayerNorm(m: Matcher, out: TfNode): Match | undefined {
  if (out.input.length !== 2) return undefined;
  for (const [a, b] of orders(out)) {
    const mulX = m.op(a, 'Mul');
    const shift = shiftTerm(m, b);
    if (!shift || mulX?.input.length !== 2) continue;
    const mulMean = shift.mul;
    for (const [x, sRef] of orders(mulX)) {
      const s = m.op(sRef, 'Mul');
      if (s?.input.length !== 2) continue;
      const meanRef = shift.mean(sRef);
      const mean = m.op(meanRef, 'Mean');
      if (!mean || !same(mean.input[0], x)) continue;
      for (const [rRef, gRef] of orders(s)) {
        const rsqrt = m.op(rRef, 'Rsqrt');
        const gamma = m.constName(gRef);
        const addEps = m.op(rsqrt?.input[0], 'AddV2', 'Add');
        if (!rsqrt || !gamma || addEps?.input.length !== 2) continue;
        for (const [vRef, eRef] of orders(addEps)) {
          const eps = m.scalarValue(eRef);
          const variance = m.op(vRef, 'Mean');
          const sq = m.op(variance?.input[0], 'SquaredDifference');
          if (eps === undefined || !variance || sq?.input.length !== 2) continue;
          const centred = (same(sq.input[0], x) && same(sq.input[1], meanRef)) || (same(sq.input[1], x) && same(sq.input[0], meanRef));
          const axes = m.constName(mean.input[1]);
          if (!centred || !axes || m.constName(variance.input[1]) === undefined) continue;
          const internal: Record<string, number> = { [mulX.name]: 1, [mulMean.name]: 1, [s.name]: 2, [mean.name]: 2, [rsqrt.name]: 1, [addEps.name]: 1, [variance.name]: 1, [sq.name]: 1 };
          for (const n of shift.nodes) internal[n] = 1;
          if (!onlyInside(m, internal)) continue;
          return {
            node: { name: out.name, op: PATTERN_OPS.layerNorm, input: [x, axes, variance.input[1]!, gamma, shift.beta], attr: { epsilon: { f: eps }, keep_dims: mean.attr.keep_dims ?? {}, variance_keep_dims: variance.attr.keep_dims ?? {} } },
            internal: Object.keys(internal),
          };
        }
      }
    }
  }
  return undefined;
}

/** The factors of a product of up to three terms (`Mul(Mul(a, b), c)` in any grouping), with the inner Mul. */
function factors(m: Matcher, out: TfNode): Array<{ terms: string[]; inner: string | undefined }> {
  const found: Array<{ terms: string[]; inner: string | undefined }> = [];
  if (out.input.length !== 2) return found;
  for (const [a, b] of orders(out)) {
    const inner = m.op(a, 'Mul');
    if (inner && inner.input.length === 2) found.push({ terms: [inner.input[0]!, inner.input[1]!, b], inner: inner.name });
  }
  return found;
}

/** `1 + f(...)` (AddV2 in either order) with f of op `fn`: the f node. */
function onePlus(m: Matcher, ref: string, fn: string): TfNode | undefined {
  const add = m.op(ref, 'AddV2', 'Add');
  if (add?.input.length !== 2) return undefined;
  for (const [t, one] of orders(add)) {
    const f = m.op(t, fn);
    if (f && m.scalar(one, 1)) return f;
  }
  return undefined;
}

/** `c * y` (Mul, either order) with scalar c ≈ `v`: y. */
function scaled(m: Matcher, ref: string | undefined, v: number): { y: string; node: TfNode } | undefined {
  const n = m.op(ref, 'Mul');
  if (n?.input.length !== 2) return undefined;
  for (const [y, c] of orders(n)) if (m.scalar(c, v)) return { y, node: n };
  return undefined;
}

/** Erf's argument `x / sqrt 2` (RealDiv or Mul by 1 / sqrt 2): x and the node. */
function overSqrt2(m: Matcher, ref: string | undefined): { x: string; node: TfNode } | undefined {
  const div = m.op(ref, 'RealDiv');
  if (div && div.input.length === 2 && m.scalar(div.input[1], Math.SQRT2)) return { x: div.input[0]!, node: div };
  const mul = scaled(m, ref, Math.SQRT1_2);
  return mul && { x: mul.y, node: mul.node };
}

/** Tanh's argument `sqrt(2 / pi) * (x + 0.044715 * Pow(x, 3))`: x and the chain's nodes. */
function tanhArgument(m: Matcher, ref: string | undefined): { x: string; nodes: string[] } | undefined {
  const outer = scaled(m, ref, Math.sqrt(2 / Math.PI));
  const sum = m.op(outer?.y, 'AddV2', 'Add');
  if (!outer || !sum || sum.input.length !== 2) return undefined;
  for (const [x, cubeRef] of orders(sum)) {
    const cube = scaled(m, cubeRef, 0.044715);
    const pow = m.op(cube?.y, 'Pow');
    if (cube && pow && pow.input.length === 2 && same(pow.input[0], x) && m.scalar(pow.input[1], 3)) return { x, nodes: [outer.node.name, sum.name, cube.node.name, pow.name] };
  }
  return undefined;
}

function matchGelu(m: Matcher, out: TfNode): Match | undefined {
  for (const { terms, inner } of factors(m, out)) {
    for (let h = 0; h < 3; h++) {
      if (!m.scalar(terms[h], 0.5)) continue;
      const [p, q] = terms.filter((_, i) => i !== h) as [string, string];
      for (const [x, poly] of [[p, q], [q, p]] as Array<[string, string]>) {
        const erf = onePlus(m, poly, 'Erf');
        const arg = erf && overSqrt2(m, erf.input[0]);
        const tanh = erf ? undefined : onePlus(m, poly, 'Tanh');
        const targ = tanh && tanhArgument(m, tanh.input[0]);
        const chain = arg && same(arg.x, x) ? [arg.node.name, erf.name] : targ && same(targ.x, x) ? [...targ.nodes, tanh.name] : undefined;
        if (!chain) continue;
        const internal = Object.fromEntries([inner!, tensorRef(poly).node, ...chain].map((n) => [n, 1]));
        if (!onlyInside(m, internal)) continue;
        return { node: { name: out.name, op: PATTERN_OPS.gelu, input: [x], attr: { approximate: { b: tanh !== undefined } } }, internal: Object.keys(internal) };
      }
    }
  }
  return undefined;
}

/**
 * The TF graph with every recognised layer-norm and GELU chain replaced by one pattern node (see
 * {@link PATTERN_OPS}); unmatched nodes are untouched. `outputs` are the graph's output tensors.
 */
export function fuseTransformerPatterns(graph: TfGraph, consts: Consts, outputs: readonly string[] = graph.outputs?.map((t) => t.tensor) ?? []): TfGraph {
  const m = new Matcher(graph, consts, outputs);
  const nodes = new Map(graph.nodes);
  const removed = new Set<string>();
  for (const name of graph.order) {
    const n = graph.nodes.get(name)!;
    if (removed.has(name)) continue;
    const hit = n.op === 'AddV2' || n.op === 'Add' ? matchLayerNorm(m, n) : n.op === 'Mul' ? matchGelu(m, n) : undefined;
    if (!hit || hit.internal.some((i) => removed.has(i))) continue;
    nodes.set(name, hit.node);
    for (const i of hit.internal) {
      removed.add(i);
      nodes.delete(i);
    }
  }
  if (removed.size === 0) return graph;
  return { ...graph, nodes, order: graph.order.filter((n) => !removed.has(n)) };
}

/** The reduction axes of a pattern's Mean, required to be the last axis only. */
function lastAxisOnly(ctx: Parameters<TfImporter>[0], input: number, rank: number): void {
  const axes = ctx.ints(input).map((a) => (a < 0 ? a + rank : a));
  if (axes.length !== 1 || axes[0] !== rank - 1) fail(ctx, `layer-norm pattern: the Means reduce axes [${ctx.ints(input).join(', ')}]; only the last axis (${rank - 1}) maps onto layerNorm`, 'reduction_indices');
}

/** Importers of the pattern ops (never in a file: made by {@link fuseTransformerPatterns}). */
export const patternImporters: Record<string, TfImporter> = {
  [PATTERN_OPS.layerNorm]: (ctx) => {
    const x = ctx.tensor(0);
    const s = ctx.shape(x);
    const c = s[s.length - 1]!;
    lastAxisOnly(ctx, 1, s.length + 1);
    lastAxisOnly(ctx, 2, s.length + 1);
    if (!ctx.attrs.bool('keep_dims', false) || !ctx.attrs.bool('variance_keep_dims', false)) fail(ctx, 'layer-norm pattern: the Means must keep dims', 'keep_dims');
    const [gamma, beta] = [floatConst(ctx, 3), floatConst(ctx, 4)];
    for (const p of [gamma, beta]) if (p.values.length !== c) fail(ctx, `layer-norm pattern: "${p.name}" has ${p.values.length} values, the input has ${c} channels`);
    const id = ctx.node('layerNorm', [x], { epsilon: ctx.attrs.float('epsilon', 1e-3) });
    ctx.param(id, 'gamma', gamma.values, [c]);
    ctx.param(id, 'beta', beta.values, [c]);
    return [id];
  },
  [PATTERN_OPS.gelu]: (ctx) => [ctx.node(ctx.attrs.bool('approximate', false) ? 'gelu' : 'geluExact', [ctx.tensor(0)], {})],
};

/** A scalar float Const. */
const scalarConst = (ctx: EmitContext, name: string, v: number): string => ctx.constant(`${ctx.name}/${name}`, Float32Array.of(v), [], 'float');
/** An int32 vector Const. */
const intsConst = (ctx: EmitContext, name: string, v: readonly number[]): string => ctx.constant(`${ctx.name}/${name}`, Int32Array.from(v), [v.length], 'int32');

/**
 * layerNorm -> the converter's chain (tf.nn.batch_normalization's form, which the importer fuses
 * back): `m = Mean(x, -1)`, `v = Mean(SquaredDifference(x, m), -1)`, `s = Rsqrt(v + eps) * gamma`,
 * `y = x * s + (beta - m * s)`.
 */
function emitLayerNorm(ctx: EmitContext): string {
  const x = ctx.inputs[0]!;
  const n = ctx.name;
  const keep = { ...FLOAT_T, Tidx: { type: 'DT_INT32' }, keep_dims: { b: true } };
  const axes = intsConst(ctx, 'axes', [-1]);
  const mean = ctx.emit('Mean', [x, axes], keep, `${n}/moments/mean`);
  const sq = ctx.emit('SquaredDifference', [x, mean], { ...FLOAT_T }, `${n}/moments/SquaredDifference`);
  const variance = ctx.emit('Mean', [sq, axes], keep, `${n}/moments/variance`);
  const add = ctx.emit('AddV2', [variance, scalarConst(ctx, 'epsilon', ctx.node.attrs.epsilon as number)], { ...FLOAT_T }, `${n}/batchnorm/add`);
  const rsqrt = ctx.emit('Rsqrt', [add], { ...FLOAT_T }, `${n}/batchnorm/Rsqrt`);
  const [gamma, beta] = ['gamma', 'beta'].map((role) => {
    const p = ctx.param(role);
    return ctx.constant(`${n}/${role}`, p.values, p.shape, 'float');
  });
  const s = ctx.emit('Mul', [rsqrt, gamma!], { ...FLOAT_T }, `${n}/batchnorm/mul`);
  const mulX = ctx.emit('Mul', [x, s], { ...FLOAT_T }, `${n}/batchnorm/mul_1`);
  const mulMean = ctx.emit('Mul', [mean, s], { ...FLOAT_T }, `${n}/batchnorm/mul_2`);
  const sub = ctx.emit('Sub', [beta!, mulMean], { ...FLOAT_T }, `${n}/batchnorm/sub`);
  return ctx.emit('AddV2', [mulX, sub], { ...FLOAT_T }, n);
}

/**
 * geluExact -> `(x * 0.5) * (1 + Erf(x / sqrt 2))`; gelu -> `(x * 0.5) * (1 + Tanh(sqrt(2 / pi) *
 * (x + 0.044715 * Pow(x, 3))))` (Keras' forms, which the importer fuses back).
 */
function emitGelu(approximate: boolean): TfEmitter {
  return (ctx) => {
    const x = ctx.inputs[0]!;
    const n = ctx.name;
    let inner: string;
    if (approximate) {
      const pow = ctx.emit('Pow', [x, scalarConst(ctx, 'three', 3)], { ...FLOAT_T }, `${n}/Pow`);
      const cube = ctx.emit('Mul', [scalarConst(ctx, 'c', 0.044715), pow], { ...FLOAT_T }, `${n}/mul`);
      const sum = ctx.emit('AddV2', [x, cube], { ...FLOAT_T }, `${n}/add`);
      const arg = ctx.emit('Mul', [scalarConst(ctx, 'k', Math.sqrt(2 / Math.PI)), sum], { ...FLOAT_T }, `${n}/mul_1`);
      inner = ctx.emit('Tanh', [arg], { ...FLOAT_T }, `${n}/Tanh`);
    } else {
      const div = ctx.emit('RealDiv', [x, scalarConst(ctx, 'sqrt2', Math.SQRT2)], { ...FLOAT_T }, `${n}/truediv`);
      inner = ctx.emit('Erf', [div], { ...FLOAT_T }, `${n}/Erf`);
    }
    const onePlus = ctx.emit('AddV2', [inner, scalarConst(ctx, 'one', 1)], { ...FLOAT_T }, `${n}/add_1`);
    const half = ctx.emit('Mul', [x, scalarConst(ctx, 'half', 0.5)], { ...FLOAT_T }, `${n}/mul_2`);
    return ctx.emit('Mul', [half, onePlus], { ...FLOAT_T }, n);
  };
}

/** `x W (+ b)` for tokens [B, T, D] and a [D, n] kernel: BatchMatMulV2 (+ BiasAdd). */
function emitProjection(ctx: EmitContext, x: string, name: string, w: Float32Array, shape: readonly number[], bias: Float32Array | undefined): string {
  return emitBatchedProjection(ctx, x, ctx.constant(`${name}/kernel`, w, shape, 'kernel'), bias, name);
}

/** Columns [from, to) of a row-major [rows, cols] matrix. */
function columns(v: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(v.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}

/**
 * multiHeadAttention -> Q/K/V projections (BatchMatMulV2 on the tokens + BiasAdd; the score scale
 * folded into the Q kernel and bias as the op does; a fused Wqkv is written as its three column
 * blocks), Reshape + Transpose to [B, H, T, dh], BatchMatMulV2(q, k, adj_y) (+ the causal mask),
 * Softmax, BatchMatMulV2 with V, Transpose + Reshape back, and the output projection.
 */
function emitAttention(ctx: EmitContext): string {
  const a = ctx.node.attrs as { numHeads: number; headDim: number; causal: boolean; fusedQkv: boolean; useBias: boolean; scale: number | null };
  const [t, d] = ctx.inputShapes[0] as [number, number];
  const h = a.numHeads;
  const dh = a.headDim;
  const hd = h * dh;
  const n = ctx.name;
  const scale = a.scale ?? 1 / Math.sqrt(dh);
  const qkv = ['q', 'k', 'v'].map((r, i) => {
    const w = a.fusedQkv ? columns(ctx.param('wqkv').values, d, 3 * hd, i * hd, (i + 1) * hd) : ctx.param(`w${r}`).values;
    const b = a.useBias ? (a.fusedQkv ? ctx.param('bqkv').values.slice(i * hd, (i + 1) * hd) : ctx.param(`b${r}`).values) : undefined;
    const f = i === 0 ? scale : 1;
    const y = emitProjection(ctx, ctx.inputs[0]!, `${n}/${r}`, f === 1 ? w : w.map((v) => v * f), [d, hd], b && f !== 1 ? b.map((v) => v * f) : b);
    const split = ctx.emit('Reshape', [y, intsConst(ctx, `${r}/heads_shape`, [-1, t, h, dh])], { ...FLOAT_T, Tshape: { type: 'DT_INT32' } }, `${n}/${r}/split_heads`);
    return ctx.emit('Transpose', [split, intsConst(ctx, `${r}/perm`, [0, 2, 1, 3])], { ...FLOAT_T, Tperm: { type: 'DT_INT32' } }, `${n}/${r}/transpose`);
  });
  let scores = ctx.emit('BatchMatMulV2', [qkv[0]!, qkv[1]!], { ...FLOAT_T, adj_x: { b: false }, adj_y: { b: true } }, `${n}/scores`);
  if (a.causal) {
    const m = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
    scores = ctx.emit('AddV2', [scores, ctx.constant(`${n}/causal_mask`, m, [t, t], 'float')], { ...FLOAT_T }, `${n}/masked_scores`);
  }
  const probs = ctx.emit('Softmax', [scores], { ...FLOAT_T }, `${n}/Softmax`);
  const context = ctx.emit('BatchMatMulV2', [probs, qkv[2]!], { ...FLOAT_T, adj_x: { b: false }, adj_y: { b: false } }, `${n}/context`);
  const back = ctx.emit('Transpose', [context, intsConst(ctx, 'merge_perm', [0, 2, 1, 3])], { ...FLOAT_T, Tperm: { type: 'DT_INT32' } }, `${n}/merge_transpose`);
  const merged = ctx.emit('Reshape', [back, intsConst(ctx, 'merge_shape', [-1, t, hd])], { ...FLOAT_T, Tshape: { type: 'DT_INT32' } }, `${n}/merge_heads`);
  const wo = ctx.param('wo');
  const out = emitProjection(ctx, merged, `${n}/out`, wo.values, wo.shape, a.useBias ? ctx.param('bo').values : undefined);
  return ctx.emit('Identity', [out], { ...FLOAT_T }, n);
}

/** Transformer ops -> the converter's forms (layer-norm / GELU chains, attention as BatchMatMulV2 + Softmax). */
export const transformerEmitters: Record<string, TfEmitter> = {
  layerNorm: emitLayerNorm,
  geluExact: emitGelu(false),
  gelu: emitGelu(true),
  multiHeadAttention: emitAttention,
  spatialReshape(ctx) {
    const target = Int32Array.from([-1, ...ctx.outputShape]);
    return ctx.emit('Reshape', [ctx.inputs[0]!, ctx.constant(`${ctx.name}/shape`, target, [target.length], 'int32')], { ...FLOAT_T, Tshape: { type: 'DT_INT32' } }, ctx.name);
  },
  addPositionEmbedding(ctx) {
    const p = ctx.param('pos');
    return ctx.emit('AddV2', [ctx.inputs[0]!, ctx.constant(`${ctx.name}/pos`, p.values, p.shape, 'float')], { ...FLOAT_T }, ctx.name);
  },
  prependClassToken(ctx) {
    // A batch-sized copy of the token without Tile of a dynamic batch: the first token times 0, plus cls.
    const x = ctx.inputs[0]!;
    const n = ctx.name;
    const first = ctx.emit('StridedSlice', [x, intsConst(ctx, 'begin', [0, 0, 0]), intsConst(ctx, 'end', [0, 1, 0]), intsConst(ctx, 'strides', [1, 1, 1])], {
      ...FLOAT_T, Index: { type: 'DT_INT32' }, begin_mask: intAttr(5), end_mask: intAttr(5), ellipsis_mask: intAttr(0), new_axis_mask: intAttr(0), shrink_axis_mask: intAttr(0),
    }, `${n}/first_token`);
    const zero = ctx.emit('Mul', [first, scalarConst(ctx, 'zero', 0)], { ...FLOAT_T }, `${n}/zeros`);
    const c = ctx.param('cls');
    const cls = ctx.emit('AddV2', [zero, ctx.constant(`${n}/cls`, c.values, c.shape, 'float')], { ...FLOAT_T }, `${n}/cls_tokens`);
    return ctx.emit('ConcatV2', [cls, x, ctx.constant(`${n}/axis`, Int32Array.of(1), [], 'int32')], { ...FLOAT_T, Tidx: { type: 'DT_INT32' }, N: intAttr(2) }, n);
  },
};
