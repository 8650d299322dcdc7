import { ConfigError, ShapeError } from '@bonsai/core';

/** Window of a 2-D convolution or pooling (NHWC), in tfjs's terms. */
export interface WindowOptions {
  /** Kernel height and width. */
  kernel: readonly [number, number];
  /** Strides (default [1, 1]). */
  strides?: readonly [number, number];
  /** Dilation (default [1, 1]). */
  dilation?: readonly [number, number];
  /** tfjs padding: 'same' (output = ceil(input / stride)) or 'valid' (default 'same'). */
  padding?: 'same' | 'valid';
}

/** Resolved geometry of one convolution: output size and the padding before the first row/column. */
export interface ConvGeometry {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly outH: number;
  readonly outW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

function checkPair(name: string, v: readonly number[]): void {
  if (v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 1)) throw new ConfigError(`${name} must be two positive integers, got [${v.join(', ')}]`, { option: name });
}

/** Output size and padding of a convolution over an `h` x `w` input (tfjs's 'same'/'valid' rules). */
export function convGeometry(h: number, w: number, options: WindowOptions): ConvGeometry {
  const [kh, kw] = options.kernel;
  const [sh, sw] = options.strides ?? [1, 1];
  const [dh, dw] = options.dilation ?? [1, 1];
  checkPair('kernel', options.kernel);
  checkPair('strides', [sh, sw]);
  checkPair('dilation', [dh, dw]);
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  if (options.padding === 'valid') {
    const outH = Math.floor((h - ekh) / sh) + 1;
    const outW = Math.floor((w - ekw) / sw) + 1;
    if (outH < 1 || outW < 1) throw new ShapeError(`a ${kh}x${kw} window (dilation ${dh}x${dw}) does not fit a ${h}x${w} input with 'valid' padding`);
    return { kh, kw, sh, sw, dh, dw, outH, outW, padTop: 0, padLeft: 0 };
  }
  const outH = Math.ceil(h / sh);
  const outW = Math.ceil(w / sw);
  const padH = Math.max((outH - 1) * sh + ekh - h, 0);
  const padW = Math.max((outW - 1) * sw + ekw - w, 0);
  return { kh, kw, sh, sw, dh, dw, outH, outW, padTop: Math.floor(padH / 2), padLeft: Math.floor(padW / 2) };
}
