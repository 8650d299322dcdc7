import { convGeometry, type WindowOptions } from './geometry';
import { requantize, type Requant } from './requant';

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
