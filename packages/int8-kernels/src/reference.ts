import { ShapeError } from '@bonsai/core';
import type { AttentionOptions } from './attention-math';
import { convGeometry, type WindowOptions } from './geometry';
import type { BatchMatMulOptions } from './matmul';
import { attentionReference, batchMatMulReference } from './reference-attention';
import { addRange, checkTable, globalAvgPoolRequant, type AddOptions, type Conv2dOptions, type DenseOptions, type DepthwiseOptions, type GlobalAvgPoolOptions, type Int8BinaryLayer, type Int8Layer } from './layers';
import { requantConstants, requantize, roundHalfEven, type Requant } from './requant';

/**
 * Bonsai's integer reference, in plain JavaScript (the oracle the WASM kernels are tested
 * against bit for bit): exact int32 accumulation of (x - zx) * w, then {@link requantize}.
 */
export interface ReferenceInput {
  /** int8 NHWC input (or [batch, features] for dense). */
  readonly x: Int8Array;
  readonly shape: readonly number[];
  /** Input zero point. */
  readonly zx: number;
}

/** Reference conv2d: weights [kh][kw][cin][cout] (row-major), groups 1. */
export function conv2dReference(input: ReferenceInput, weights: ArrayLike<number>, cout: number, window: WindowOptions, rq: Requant): Int8Array {
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const g = convGeometry(h, w, window);
  const out = new Int8Array(n * g.outH * g.outW * cout);
  const acc = new Int32Array(cout);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky * g.dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.padLeft + kx * g.dw;
            if (ix < 0 || ix >= w) continue;
            for (let ci = 0; ci < c; ci++) {
              const xv = input.x[((b * h + iy) * w + ix) * c + ci]! - input.zx;
              const wBase = ((ky * g.kw + kx) * c + ci) * cout;
              for (let co = 0; co < cout; co++) acc[co]! += xv * weights[wBase + co]!;
            }
          }
        }
        for (let co = 0; co < cout; co++) out[o++] = requantize(acc[co]!, rq.mult[co]!, rq.bias[co]!, rq);
      }
    }
  }
  return out;
}

/** Reference depthwise conv2d (multiplier 1): weights [kh][kw][c]. */
export function depthwiseReference(input: ReferenceInput, weights: ArrayLike<number>, window: WindowOptions, rq: Requant): Int8Array {
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const g = convGeometry(h, w, window);
  const out = new Int8Array(n * g.outH * g.outW * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let ci = 0; ci < c; ci++) {
          let acc = 0;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.padTop + ky * g.dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.padLeft + kx * g.dw;
              if (ix < 0 || ix >= w) continue;
              acc += (input.x[((b * h + iy) * w + ix) * c + ci]! - input.zx) * weights[(ky * g.kw + kx) * c + ci]!;
            }
          }
          out[o++] = requantize(acc, rq.mult[ci]!, rq.bias[ci]!, rq);
        }
      }
    }
  }
  return out;
}

/** Reference dense: x [batch, k], weights [k][units]. */
export function denseReference(input: ReferenceInput, weights: ArrayLike<number>, units: number, rq: Requant): Int8Array {
  const [n, k] = input.shape as [number, number];
  const out = new Int8Array(n * units);
  for (let b = 0; b < n; b++) {
    for (let u = 0; u < units; u++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += (input.x[b * k + i]! - input.zx) * weights[i * units + u]!;
      out[b * units + u] = requantize(acc, rq.mult[u]!, rq.bias[u]!, rq);
    }
  }
  return out;
}

/**
 * Reference int8 add, the simulation's float32 arithmetic: v = f32(f32((a - za) sa) + f32((b - zb) sb)),
 * q = clamp(round_half_even(f32(v / so)) + zo) (the fused activation narrows the clamp).
 */
export function addReference(a: Int8Array, b: Int8Array, o: AddOptions): Int8Array {
  const f = Math.fround;
  const { lo, hi } = addRange(o);
  const out = new Int8Array(a.length);
  const { scale: so, zeroPoint: zo } = o.output;
  for (let i = 0; i < a.length; i++) {
    const v = f(f(f((a[i]! - o.a.zeroPoint) * o.a.scale) + f((b[i]! - o.b.zeroPoint) * o.b.scale)) / so);
    out[i] = roundHalfEven(Math.min(Math.max(v, lo - zo), hi - zo)) + zo;
  }
  return out;
}

/** Reference int8 max pooling (NHWC; taps outside the image are skipped). */
export function maxPoolReference(x: Int8Array, shape: readonly number[], window: WindowOptions): Int8Array {
  const [n, h, w, c] = shape as [number, number, number, number];
  const g = convGeometry(h, w, window);
  const out = new Int8Array(n * g.outH * g.outW * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let ci = 0; ci < c; ci++) {
          let m = -128;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.padTop + ky;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.padLeft + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x[((b * h + iy) * w + ix) * c + ci]!);
            }
          }
          out[o++] = m;
        }
      }
    }
  }
  return out;
}

/** Reference int8 global average pooling: acc = sum over the pixels of x - zx, requantized by {@link globalAvgPoolRequant}. */
export function globalAvgPoolReference(x: Int8Array, shape: readonly number[], o: GlobalAvgPoolOptions): Int8Array {
  const [n, h, w, c] = shape as [number, number, number, number];
  const rq = globalAvgPoolRequant(o, h * w);
  const out = new Int8Array(n * c);
  for (let b = 0; b < n; b++) {
    for (let ci = 0; ci < c; ci++) {
      let acc = 0;
      for (let p = 0; p < h * w; p++) acc += x[(b * h * w + p) * c + ci]! - o.input.zeroPoint;
      out[b * c + ci] = requantize(acc, rq.mult[0]!, rq.bias[0]!, rq);
    }
  }
  return out;
}

/** The layer factories shared by the WASM kernels and the reference (see {@link ReferenceKernels}). */
export interface Int8LayerFactory {
  conv2d(options: Conv2dOptions): Int8Layer;
  depthwiseConv2d(options: DepthwiseOptions): Int8Layer;
  dense(options: DenseOptions): Int8Layer;
  add(options: AddOptions): Int8BinaryLayer;
  maxPool(options: WindowOptions): Int8Layer;
  globalAvgPool(options: GlobalAvgPoolOptions): Int8Layer;
  batchMatMul(options: BatchMatMulOptions): Int8BinaryLayer;
  attention(options: AttentionOptions): Int8Layer;
  lookup(table: Int8Array): Int8Layer;
}

function windowOf(o: WindowOptions): WindowOptions {
  return { kernel: o.kernel, strides: o.strides ?? [1, 1], dilation: o.dilation ?? [1, 1], padding: o.padding ?? 'same' };
}

/**
 * The integer reference as layers: same interface as the WASM {@link Int8Kernels}, computed by the
 * plain-JavaScript functions above (slow; for tests and for checking a whole model bit for bit).
 */
export class ReferenceKernels implements Int8LayerFactory {
  /** Always 'reference'. */
  readonly variant = 'reference';

  conv2d(o: Conv2dOptions): Int8Layer {
    const [, , cin, cout] = o.weightShape;
    const rq = requantConstants(o, cout);
    const win = windowOf(o);
    const outputShape = (s: readonly number[]): number[] => {
      if (s[3] !== cin) throw new ShapeError(`conv2d input has ${s[3]} channels, the weights expect ${cin}`);
      const g = convGeometry(s[1]!, s[2]!, win);
      return [s[0]!, g.outH, g.outW, cout];
    };
    return {
      path: 'reference',
      outputShape,
      run: (x) => ({ data: conv2dReference({ x: x.data, shape: x.shape, zx: o.input.zeroPoint }, o.weights, cout, win, rq), shape: outputShape(x.shape) }),
    };
  }

  depthwiseConv2d(o: DepthwiseOptions): Int8Layer {
    const c = o.weightShape[2];
    const rq = requantConstants(o, c);
    const win = windowOf(o);
    const outputShape = (s: readonly number[]): number[] => {
      const g = convGeometry(s[1]!, s[2]!, win);
      return [s[0]!, g.outH, g.outW, c];
    };
    return {
      path: 'reference',
      outputShape,
      run: (x) => ({ data: depthwiseReference({ x: x.data, shape: x.shape, zx: o.input.zeroPoint }, o.weights, win, rq), shape: outputShape(x.shape) }),
    };
  }

  add(o: AddOptions): Int8BinaryLayer {
    addRange(o);
    return { run: (a, b) => ({ data: addReference(a.data, b.data, o), shape: a.shape }) };
  }

  maxPool(o: WindowOptions): Int8Layer {
    const win: WindowOptions = { kernel: o.kernel, strides: o.strides ?? o.kernel, dilation: [1, 1], padding: o.padding ?? 'valid' };
    const outputShape = (s: readonly number[]): number[] => {
      const g = convGeometry(s[1]!, s[2]!, win);
      return [s[0]!, g.outH, g.outW, s[3]!];
    };
    return { path: 'reference', outputShape, run: (x) => ({ data: maxPoolReference(x.data, x.shape, win), shape: outputShape(x.shape) }) };
  }

  globalAvgPool(o: GlobalAvgPoolOptions): Int8Layer {
    globalAvgPoolRequant(o, 1);
    const outputShape = (s: readonly number[]): number[] => [s[0]!, s[3]!];
    return { path: 'reference', outputShape, run: (x) => ({ data: globalAvgPoolReference(x.data, x.shape, o), shape: outputShape(x.shape) }) };
  }

  batchMatMul(o: BatchMatMulOptions): Int8BinaryLayer {
    return { run: (a, b) => ({ data: batchMatMulReference(a.data, a.shape, b.data, b.shape, o), shape: [a.shape[0]!, a.shape[1]!, (o.transposeB ? b.shape[1] : b.shape[2])!] }) };
  }

  lookup(table: Int8Array): Int8Layer {
    checkTable(table);
    return { path: 'reference', outputShape: (s) => [...s], run: (x) => ({ data: Int8Array.from(x.data, (q) => table[q + 128]!), shape: [...x.shape] }) };
  }

  attention(o: AttentionOptions): Int8Layer {
    const outW = o.o.weightShape[1];
    const outputShape = (s: readonly number[]): number[] => [s[0]!, s[1]!, outW];
    return { path: 'reference', outputShape, run: (x) => ({ data: attentionReference(x.data, x.shape, o), shape: outputShape(x.shape) }) };
  }

  dense(o: DenseOptions): Int8Layer {
    const units = o.weightShape[1];
    const rq = requantConstants(o, units);
    return {
      path: 'reference',
      outputShape: (s) => [s[0]!, units],
      run: (x) => ({ data: denseReference({ x: x.data, shape: x.shape, zx: o.input.zeroPoint }, o.weights, units, rq), shape: [x.shape[0]!, units] }),
    };
  }
}
