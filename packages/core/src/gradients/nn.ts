import * as tf from '@tensorflow/tfjs-core';
import { tiledMaxPoolGrad } from './max-pool';
import { unbroadcast, type Grad } from './util';

/** Swaps the last two axes. */
function t(m: tf.Tensor): tf.Tensor {
  const perm = m.shape.map((_, i) => i);
  [perm[m.rank - 2], perm[m.rank - 1]] = [perm[m.rank - 1]!, perm[m.rank - 2]!];
  return tf.transpose(m, perm);
}

/** Runs a backend's gradient kernel (MaxPoolGrad, AvgPoolGrad, ...) through the public engine API. */
function kernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}

/** Gradients of matMul, pooling and inference-mode batch norm. */
export const nnGrads: readonly Grad[] = [
  {
    // Explicit transposes: on wasm matMul(transposeA) is much slower than transpose + matMul.
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const ta = attrs.transposeA === true;
      const tb = attrs.transposeB === true;
      const A = ta ? t(a!) : a!;
      const B = tb ? t(b!) : b!;
      // With C = A B: dA = dy B^T, dB = A^T dy; transposed inputs take the transposed gradient.
      const dA = () => tf.matMul(dy, t(B));
      const dB = () => tf.matMul(t(A), dy);
      return {
        a: () => unbroadcast(ta ? t(dA()) : dA(), a!.shape),
        b: () => unbroadcast(tb ? t(dB()) : dB(), b!.shape),
      };
    },
  },
  {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => ({ x: () => tiledMaxPoolGrad(dy, x!, y!, attrs) ?? kernel(tf.MaxPoolGrad, { dy, input: x!, output: y! }, attrs) }),
  },
  {
    kernelName: tf.AvgPool,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => kernel(tf.AvgPoolGrad, { dy, input: x! }, attrs) }),
  },
  {
    kernelName: tf.ResizeBilinear,
    inputsToSave: ['images'],
    gradFunc: (dy, [images], attrs) => ({ images: () => kernel(tf.ResizeBilinearGrad, { dy, images: images! }, attrs) }),
  },
  {
    kernelName: tf.ResizeNearestNeighbor,
    inputsToSave: ['images'],
    gradFunc: (dy, [images], attrs) => ({ images: () => kernel(tf.ResizeNearestNeighborGrad, { dy, images: images! }, attrs) }),
  },
  {
    // y = (x - mean) * rsqrt(variance + eps) * scale + offset, per channel (last axis).
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, [x, mean, variance, scale], attrs) => {
      const eps = attrs.varianceEpsilon as number;
      const inv = () => tf.rsqrt(tf.add(variance!, eps));
      const s = () => (scale ? scale : tf.scalar(1));
      const centered = () => tf.sub(x!, mean!);
      return {
        x: () => tf.mul(dy, tf.mul(s(), inv())),
        mean: () => unbroadcast(tf.neg(tf.mul(dy, tf.mul(s(), inv()))), mean!.shape),
        variance: () => unbroadcast(tf.mul(tf.mul(dy, centered()), tf.mul(s(), tf.mul(tf.pow(inv(), 3), -0.5))), variance!.shape),
        scale: () => unbroadcast(tf.mul(dy, tf.mul(centered(), inv())), scale!.shape),
        offset: () => unbroadcast(dy, mean!.shape),
      };
    },
  },
];
