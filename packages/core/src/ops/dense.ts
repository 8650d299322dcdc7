import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors';
import { boolAttr, posIntAttr, readAttrs, type AttrsOf, type OptionsOf } from './attrs';
import { lastAxisFold } from './conv';
import { registerOp } from './registry';
import type { OpSpec, ParamSpec } from './spec';

/** Attribute schema of `dense`: y = x W + b over the last axis, W [in, units]. */
export const denseSchema = { units: posIntAttr(), useBias: boolAttr(true) };
/** Attributes of `dense`. */
export type DenseAttrs = AttrsOf<typeof denseSchema>;
/** What `GraphBuilder.dense` accepts. */
export type DenseOptions = OptionsOf<typeof denseSchema>;

/** Fully connected layer over the last axis (any leading per-sample axes, e.g. tokens). */
export const denseOp: OpSpec<DenseAttrs> = {
  name: 'dense',
  arity: 1,
  attrSchema: denseSchema,
  normalizeAttrs: (a) => readAttrs(denseSchema, a, 'dense'),
  graphInput: false,
  norm: null,
  weightParam: 'kernel',
  quantPassthrough: false,
  fusedActivation: false,
  foldsBatchNorm: lastAxisFold(),
  fusedInference: {
    accepts: () => true,
    run(x, kernel, bias, a, activation) {
      const shape = x.shape;
      const flat = shape.length === 2 ? x : tf.reshape(x, [-1, shape[shape.length - 1]!]);
      const y = tf.fused.matMul({ a: flat as tf.Tensor2D, b: kernel as tf.Tensor2D, bias, activation });
      return shape.length === 2 ? y : tf.reshape(y, [...shape.slice(0, -1), a.units]);
    },
  },
  inferShape([s], a) {
    if (!s || s.length < 1) throw new ShapeError('dense expects an input with at least one axis');
    return [...s.slice(0, -1), a.units];
  },
  paramShapes([s], a) {
    const p: Record<string, ParamSpec> = {
      kernel: { shape: [s![s!.length - 1]!, a.units], init: 'glorotUniform', trainable: true, inAxis: 0, outAxis: 1 },
    };
    if (a.useBias) p.bias = { shape: [a.units], init: 'zeros', trainable: true, outAxis: 0 };
    return p;
  },
  forward([x], params, a) {
    const shape = x!.shape;
    const inF = shape[shape.length - 1]!;
    const flat = shape.length === 2 ? x! : tf.reshape(x!, [-1, inF]);
    let y = tf.matMul(flat as tf.Tensor2D, params.kernel as tf.Tensor2D);
    if (a.useBias && params.bias) y = tf.add(y, params.bias);
    return shape.length === 2 ? y : tf.reshape(y, [...shape.slice(0, -1), a.units]);
  },
  macs([s], _out, a) {
    return s!.reduce((x, y) => x * y, 1) * a.units;
  },
  channelRule() {
    return { kind: 'reduce' };
  },
  adaptAttrs(a, change) {
    const k = change.paramShapes.kernel;
    return k ? { ...a, units: k[1]! } : a;
  },
};

registerOp(denseOp);
