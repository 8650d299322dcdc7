import * as tf from '@tensorflow/tfjs-core';

/** Pool window and stride of a MaxPool kernel call, when they tile the input (window = stride, no dilation). */
function tiling(x: tf.Tensor, attrs: tf.NamedAttrMap): [number, number] | undefined {
  const pair = (v: unknown): [number, number] | undefined => {
    if (typeof v === 'number') return [v, v];
    return Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number') ? [v[0] as number, v[1] as number] : undefined;
  };
  const k = pair(attrs.filterSize);
  const s = pair(attrs.strides);
  if (!k || !s || k[0] !== s[0] || k[1] !== s[1] || x.rank !== 4 || attrs.dimRoundingMode != null) return undefined;
  const [, h, w] = x.shape as number[];
  if (attrs.pad === 'valid') return h! >= k[0] && w! >= k[1] ? k : undefined;
  // 'same' with a window that divides the input pads nothing: the same tiling as 'valid'.
  return attrs.pad === 'same' && h! % k[0] === 0 && w! % k[1] === 0 ? k : undefined;
}

/**
 * dL/dx of a max pool whose windows tile the input (window = stride, the common 2x2 / 2 case),
 * without wasm's MaxPoolGrad (a scalar loop, ~3x slower than this and, for an all-negative
 * window, routing the gradient to the window's first element instead of its maximum).
 * Nearest-neighbour upsampling brings y and dy back to x's grid; `isMax = 1 - step(up(y) - x)`
 * marks every position equal to its window's max, and a window's gradient is split evenly over
 * its maxima (a tie is rare in float data and any convex split is a valid subgradient; tfjs's cpu
 * kernel gives it all to the first). Strided slices and concats would cost as much as the kernel.
 * Returns undefined when the windows do not tile the input (the caller uses MaxPoolGrad).
 */
export function tiledMaxPoolGrad(dy: tf.Tensor, x: tf.Tensor, y: tf.Tensor, attrs: tf.NamedAttrMap): tf.Tensor | undefined {
  const k = tiling(x, attrs);
  if (!k) return undefined;
  const [kh, kw] = k;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const th = Math.floor(h / kh) * kh;
  const tw = Math.floor(w / kw) * kw;
  const cropped = (th === h && tw === w ? x : tf.slice(x, [0, 0, 0, 0], [n, th, tw, c])) as tf.Tensor4D;
  const up = (t: tf.Tensor): tf.Tensor => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [th, tw]);
  const isMax = tf.sub(1, tf.step(tf.sub(up(y), cropped), 0)) as tf.Tensor4D;
  const count = tf.mul(tf.avgPool(isMax, [kh, kw], [kh, kw], 'valid'), kh * kw);
  const dx = tf.mul(isMax, up(tf.div(dy, count)));
  return th === h && tw === w ? dx : tf.pad(dx, [[0, 0], [0, h - th], [0, w - tw], [0, 0]]);
}
