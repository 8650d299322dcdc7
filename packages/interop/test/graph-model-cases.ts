import { attr, convAttr, type TfGraphBuilder } from './graph-model-builder';

/** One hand-written GraphModel: its artifacts builder, input shape (batch 1) and outputs. */
export interface OpCase {
  readonly name: string;
  /** TF ops the case exercises (the coverage test checks every importer is exercised). */
  readonly ops: readonly string[];
  readonly input: readonly number[];
  build(b: TfGraphBuilder): string[];
  /** An equivalent graph stock tfjs-converter can run, when stock lacks the case's op form. */
  readonly oracle?: (b: TfGraphBuilder) => string[];
}

const X = [1, 6, 6, 4];

function fusedConv(fused: string[], extra: (b: TfGraphBuilder) => string[] = () => []): (b: TfGraphBuilder) => string[] {
  return (b) => {
    const x = b.placeholder('x', X);
    const w = b.random('w', [3, 3, 4, 5]);
    const args = fused[0] === 'BiasAdd' ? [b.random('bias', [5]), ...extra(b)] : extra(b);
    return [b.op('conv', '_FusedConv2D', [x, w, ...args], { ...convAttr({ strides: 2 }), fused_ops: attr.strs(fused), num_args: attr.i(args.length), epsilon: attr.f(1e-3), leakyrelu_alpha: attr.f(0.1) })];
  };
}

const unary = (op: string, pre?: string) => (b: TfGraphBuilder): string[] => {
  const x = b.placeholder('x', X);
  const y = pre ? b.op('pre', pre, [x]) : x;
  return [b.op('y', op, [y])];
};

/** Every converter family on a tiny graph. */
export const OP_CASES: readonly OpCase[] = [
  {
    name: 'Conv2D + BiasAdd + Relu (unfused)',
    ops: ['Conv2D', 'BiasAdd', 'Relu'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const c = b.op('conv', 'Conv2D', [x, b.random('w', [3, 3, 4, 6])], convAttr({ strides: 2 }));
      const y = b.op('bias', 'BiasAdd', [c, b.random('b', [6])], { data_format: attr.s('NHWC') });
      return [b.op('relu', 'Relu', [y])];
    },
  },
  { name: '_FusedConv2D BiasAdd+Relu6', ops: ['_FusedConv2D'], input: X, build: fusedConv(['BiasAdd', 'Relu6']) },
  { name: '_FusedConv2D BiasAdd+Elu', ops: ['_FusedConv2D'], input: X, build: fusedConv(['BiasAdd', 'Elu']) },
  { name: '_FusedConv2D BiasAdd+LeakyRelu', ops: ['_FusedConv2D'], input: X, build: fusedConv(['BiasAdd', 'LeakyRelu']) },
  { name: '_FusedConv2D BiasAdd+Sigmoid', ops: ['_FusedConv2D'], input: X, build: fusedConv(['BiasAdd', 'Sigmoid']) },
  { name: '_FusedConv2D BiasAdd+Prelu', ops: ['_FusedConv2D'], input: X, build: fusedConv(['BiasAdd', 'Prelu'], (b) => [b.random('alpha', [5], 0, 0.5)]) },
  {
    name: '_FusedConv2D FusedBatchNorm+Relu (stock lacks it: oracle is Conv2D + FusedBatchNormV3 + Relu)',
    ops: ['_FusedConv2D'],
    input: X,
    build: fusedConv(['FusedBatchNorm', 'Relu'], (b) => [b.random('g', [5], 0.5, 1.5), b.random('be', [5]), b.random('m', [5]), b.random('v', [5], 0.5, 1.5)]),
    oracle(b) {
      const x = b.placeholder('x', X);
      const w = b.random('w', [3, 3, 4, 5]);
      const [g, be, m, v] = [b.random('g', [5], 0.5, 1.5), b.random('be', [5]), b.random('m', [5]), b.random('v', [5], 0.5, 1.5)];
      const c = b.op('c', 'Conv2D', [x, w], convAttr({ strides: 2 }));
      const n = b.op('bn', 'FusedBatchNormV3', [c, g!, be!, m!, v!], { epsilon: attr.f(1e-3), data_format: attr.s('NHWC') });
      return [b.op('conv', 'Relu', [n])];
    },
  },
  {
    name: 'Conv2D EXPLICIT padding, dilated VALID conv',
    ops: ['Conv2D'],
    input: [1, 9, 9, 4],
    build(b) {
      const x = b.placeholder('x', [1, 9, 9, 4]);
      const e = b.op('e', 'Conv2D', [x, b.random('w1', [3, 3, 4, 4])], convAttr({ padding: 'EXPLICIT', explicit: [0, 0, 1, 2, 2, 0, 0, 0] }));
      return [b.op('d', 'Conv2D', [e, b.random('w2', [3, 3, 4, 3])], convAttr({ padding: 'VALID', dilations: 2 }))];
    },
  },
  {
    name: 'DepthwiseConv2dNative multiplier 2, FusedDepthwiseConv2dNative BiasAdd+Relu',
    ops: ['DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const d = b.op('dw', 'DepthwiseConv2dNative', [x, b.random('k', [3, 3, 4, 2])], convAttr({ strides: 2 }));
      const f = b.op('fdw', 'FusedDepthwiseConv2dNative', [d, b.random('k2', [3, 3, 8, 1]), b.random('b', [8])], { ...convAttr(), fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: attr.i(1) });
      return [f];
    },
  },
  {
    name: 'Reshape (flatten) + MatMul transpose_b + _FusedMatMul BiasAdd+Relu',
    ops: ['Reshape', 'MatMul', '_FusedMatMul'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const f = b.op('flat', 'Reshape', [x, b.ints('s', [-1, 144])], { Tshape: attr.type('DT_INT32') });
      const m = b.op('mm', 'MatMul', [f, b.random('k', [10, 144])], { transpose_a: attr.b(false), transpose_b: attr.b(true) });
      return [b.op('fmm', '_FusedMatMul', [m, b.random('k2', [10, 7]), b.random('b', [7])], { fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: attr.i(1), transpose_a: attr.b(false), transpose_b: attr.b(false) })];
    },
  },
  {
    name: 'BatchMatMulV2 and BatchMatMul of activations (attention scores)',
    ops: ['BatchMatMulV2', 'BatchMatMul', 'Softmax'],
    input: [1, 4, 6],
    build(b) {
      const x = b.placeholder('x', [1, 4, 6]);
      const s = b.op('scores', 'BatchMatMulV2', [x, x], { adj_x: attr.b(false), adj_y: attr.b(true) });
      const p = b.op('p', 'Softmax', [s]);
      return [b.op('ctx', 'BatchMatMul', [p, x], { adj_x: attr.b(false), adj_y: attr.b(false) })];
    },
  },
  {
    name: 'elementwise with Consts (scalar, per channel, Const first) and AddN',
    ops: ['Add', 'AddV2', 'AddN', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const a = b.op('a', 'AddV2', [x, b.random('c1', [4])]);
      const s = b.op('s', 'Sub', [b.random('c2', [1, 1, 1, 4]), a]);
      const m = b.op('m', 'Mul', [s, b.constant('c3', Float32Array.of(1.5), [])]);
      const d = b.op('d', 'RealDiv', [m, b.random('c4', [4], 1, 2)]);
      const mx = b.op('mx', 'Maximum', [d, b.constant('c5', Float32Array.of(-0.2), [])]);
      const mn = b.op('mn', 'Minimum', [b.constant('c6', Float32Array.of(0.3), []), mx]);
      const ad = b.op('ad', 'Add', [mn, x]);
      return [b.op('n', 'AddN', [ad, x, mn], { N: attr.i(3) })];
    },
  },
  {
    name: 'tensor-tensor Sub, Mul (squeeze-excite broadcast), Maximum, Minimum',
    ops: ['Sub', 'Mul', 'Maximum', 'Minimum', 'Mean', 'Sigmoid'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const g = b.op('gate', 'Sigmoid', [b.op('sq', 'Mean', [x, b.ints('ax', [1, 2])], { keep_dims: attr.b(true) })]);
      const se = b.op('se', 'Mul', [x, g]);
      const sub = b.op('sub', 'Sub', [se, x]);
      return [b.op('max', 'Maximum', [sub, x]), b.op('min', 'Minimum', [sub, x])];
    },
  },
  {
    name: 'FusedBatchNormV3, FusedBatchNorm',
    ops: ['FusedBatchNormV3', 'FusedBatchNorm'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const p = (k: string) => [b.random(`${k}g`, [4], 0.5, 1.5), b.random(`${k}b`, [4]), b.random(`${k}m`, [4]), b.random(`${k}v`, [4], 0.5, 1.5)];
      const n1 = b.op('bn1', 'FusedBatchNormV3', [x, ...p('a')], { epsilon: attr.f(1e-3), data_format: attr.s('NHWC') });
      return [b.op('bn2', 'FusedBatchNorm', [n1, ...p('b')], { epsilon: attr.f(1e-5) })];
    },
  },
  { name: 'Relu6', ops: ['Relu6'], input: X, build: unary('Relu6') },
  { name: 'Elu', ops: ['Elu'], input: X, build: unary('Elu') },
  { name: 'Selu', ops: ['Selu'], input: X, build: unary('Selu') },
  { name: 'Tanh', ops: ['Tanh'], input: X, build: unary('Tanh') },
  { name: 'Square', ops: ['Square'], input: X, build: unary('Square') },
  { name: 'Sqrt of Square', ops: ['Sqrt', 'Square'], input: X, build: unary('Sqrt', 'Square') },
  { name: 'Identity', ops: ['Identity'], input: X, build: unary('Identity') },
  {
    name: 'LeakyRelu, Prelu',
    ops: ['LeakyRelu', 'Prelu'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const l = b.op('l', 'LeakyRelu', [x], { alpha: attr.f(0.15) });
      return [b.op('p', 'Prelu', [l, b.random('alpha', [1, 1, 4], 0, 0.5)])];
    },
  },
  {
    name: 'layer-norm pattern: Mean over the last axis, Sub, Square, Rsqrt, Mul',
    ops: ['Mean', 'Sub', 'Square', 'Rsqrt', 'Mul', 'AddV2'],
    input: [1, 5, 8],
    build(b) {
      const x = b.placeholder('x', [1, 5, 8]);
      const mu = b.op('mu', 'Mean', [x, b.ints('ax', [-1])], { keep_dims: attr.b(true) });
      const xc = b.op('xc', 'Sub', [x, mu]);
      const v = b.op('var', 'Mean', [b.op('sq', 'Square', [xc]), b.ints('ax2', [2])], { keep_dims: attr.b(true) });
      const r = b.op('r', 'Rsqrt', [b.op('ve', 'AddV2', [v, b.constant('eps', Float32Array.of(1e-5), [])])]);
      const n = b.op('n', 'Mul', [xc, r]);
      return [b.op('ln', 'AddV2', [b.op('scaled', 'Mul', [n, b.random('gamma', [8], 0.5, 1.5)]), b.random('beta', [8])])];
    },
  },
  {
    name: 'MaxPool SAME, AvgPool VALID, global Mean',
    ops: ['MaxPool', 'AvgPool', 'Mean'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const pool = (k: number, s: number, pad: string) => ({ ksize: attr.ints([1, k, k, 1]), strides: attr.ints([1, s, s, 1]), padding: attr.s(pad), data_format: attr.s('NHWC') });
      const m = b.op('mp', 'MaxPool', [x], pool(3, 2, 'SAME'));
      const a = b.op('ap', 'AvgPool', [m], pool(2, 1, 'VALID'));
      return [b.op('gap', 'Mean', [a, b.ints('ax', [1, 2])], { keep_dims: attr.b(false) })];
    },
  },
  {
    name: 'Pad (spatial), PadV2 (value), MirrorPad REFLECT and SYMMETRIC, channel Pad',
    ops: ['Pad', 'PadV2', 'MirrorPad'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const p = (k: string, v: number[]) => b.ints(k, v, [4, 2]);
      const a = b.op('pad', 'Pad', [x, p('p1', [0, 0, 1, 0, 0, 2, 0, 0])]);
      const c = b.op('padv2', 'PadV2', [a, p('p2', [0, 0, 1, 1, 1, 1, 0, 0]), b.constant('cv', Float32Array.of(0.75), [])]);
      const r = b.op('reflect', 'MirrorPad', [c, p('p3', [0, 0, 2, 1, 1, 2, 0, 0])], { mode: attr.s('REFLECT') });
      const s = b.op('sym', 'MirrorPad', [r, p('p4', [0, 0, 1, 1, 2, 0, 0, 0])], { mode: attr.s('SYMMETRIC') });
      return [b.op('chpad', 'Pad', [s, p('p5', [0, 0, 0, 0, 0, 0, 1, 3])])];
    },
  },
  {
    name: 'ConcatV2, Split, SplitV',
    ops: ['ConcatV2', 'Split', 'SplitV'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const cat = b.op('cat', 'ConcatV2', [x, b.op('neg', 'Relu', [x]), b.ints('axis', [3], [])], { N: attr.i(2), Tidx: attr.type('DT_INT32') });
      const sp = b.op('split', 'Split', [b.ints('sd', [-1], []), cat], { num_split: attr.i(2) });
      const sv = b.op('splitv', 'SplitV', [`${sp}:1`, b.ints('sizes', [1, -1]), b.ints('sd2', [3], [])], { num_split: attr.i(2) });
      return [`${sp}:0`, `${sv}:1`, b.op('sum', 'AddV2', [`${sv}:0`, `${sv}:0`])];
    },
  },
  {
    name: 'Squeeze, ExpandDims, Transpose, Reshape',
    ops: ['Squeeze', 'ExpandDims', 'Transpose', 'Reshape'],
    input: [1, 3, 1, 4],
    build(b) {
      const x = b.placeholder('x', [1, 3, 1, 4]);
      const s = b.op('sq', 'Squeeze', [x], { squeeze_dims: attr.ints([2]) });
      const t = b.op('tr', 'Transpose', [s, b.ints('perm', [0, 2, 1])]);
      const e = b.op('ed', 'ExpandDims', [t, b.ints('ax', [-1], [])]);
      return [b.op('rs', 'Reshape', [e, b.ints('shape', [-1, 2, 6])])];
    },
  },
  {
    name: 'StridedSlice with begin/end/shrink masks and negative indices',
    ops: ['StridedSlice'],
    input: X,
    build(b) {
      const x = b.placeholder('x', X);
      const s1 = b.op('s1', 'StridedSlice', [x, b.ints('b1', [0, 1, 0, 0]), b.ints('e1', [0, -1, 6, 3]), b.ints('st1', [1, 2, 1, 1])], { begin_mask: attr.i(1), end_mask: attr.i(1), shrink_axis_mask: attr.i(0), ellipsis_mask: attr.i(0), new_axis_mask: attr.i(0), Index: attr.type('DT_INT32') });
      return [b.op('s2', 'StridedSlice', [s1, b.ints('b2', [0, 0, 2]), b.ints('e2', [0, 0, 3]), b.ints('st2', [1, 1, 1])], { begin_mask: attr.i(3), end_mask: attr.i(3), shrink_axis_mask: attr.i(4), Index: attr.type('DT_INT32') })];
    },
  },
  {
    name: 'ResizeBilinear (align_corners, half_pixel_centers), ResizeNearestNeighbor',
    ops: ['ResizeBilinear', 'ResizeNearestNeighbor'],
    input: [1, 4, 5, 3],
    build(b) {
      const x = b.placeholder('x', [1, 4, 5, 3]);
      const a = b.op('ra', 'ResizeBilinear', [x, b.ints('sz1', [7, 9])], { align_corners: attr.b(true), half_pixel_centers: attr.b(false) });
      const h = b.op('rh', 'ResizeBilinear', [x, b.ints('sz2', [8, 10])], { align_corners: attr.b(false), half_pixel_centers: attr.b(true) });
      const n = b.op('rn', 'ResizeNearestNeighbor', [h, b.ints('sz3', [3, 4])], { align_corners: attr.b(false), half_pixel_centers: attr.b(true) });
      return [a, n];
    },
  },
];
