import { getOp, type Model, type NodeId } from '@bonsai/core';
import { readPreprocessing } from '@bonsai/interop';
import * as tf from '@tensorflow/tfjs-core';
import type { SourcedModel } from './model-source';
import { PREPROCESS_PRESETS, type Recipe } from './recipe';

/** A preprocessing preset of file data. */
export type PreprocessPreset = (typeof PREPROCESS_PRESETS)[number];

/** The preprocessing a run uses and where it came from. */
export interface ResolvedPreprocess {
  preset: PreprocessPreset;
  /** `option` (--preprocess / the recipe), `metadata` (recorded in model.json), `model` (the model's own input scaling), `default`. */
  source: 'option' | 'metadata' | 'model' | 'default';
  /** One line for the log: what was chosen and why. */
  note: string;
}

/** Per-channel affine map `y = scale * x + offset` a model applies to its input before its first weighted layer. */
export interface InputScaling {
  /** Last node of the scaling chain. */
  node: NodeId;
  scale: number[];
  offset: number[];
}

/**
 * The elementwise chain that starts at the model's input and ends before its first weighted
 * layer (conv, dense): nodes with one consumer each, no quantizable kernel, the input's shape.
 */
function scalingChain(model: Model): NodeId | undefined {
  const g = model.graph;
  const input = g.inputs[0]!;
  const shape = g.shape(input).join();
  let cur = input;
  for (;;) {
    const users = g.consumers(cur);
    if (users.length !== 1 || g.outputs.includes(cur)) break;
    const next = g.node(users[0]!);
    if (next.inputs.length !== 1 || getOp(next.op, next.id).weightParam !== null || g.shape(next.id).join() !== shape) break;
    cur = next.id;
  }
  return cur === input ? undefined : cur;
}

/**
 * Measures the affine input scaling a model does itself (a Keras `Rescaling` layer, a GraphModel's
 * leading Mul/Sub/RealDiv/AddV2 by constants): runs the chain before the first weighted layer on
 * constant inputs 0, 1 and 2 and reads `scale` and `offset` per channel. Undefined when the model
 * starts with a weighted layer or the chain is not affine (e.g. an activation). Leaves no tensors.
 */
export function measureInputScaling(model: Model): InputScaling | undefined {
  const node = scalingChain(model);
  if (node === undefined) return undefined;
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const channels = shape.at(-1)!;
  const probe = (v: number): Float32Array => {
    const x = tf.fill([1, ...shape], v);
    const r = model.run(x, { capture: [node] });
    const values = r.captured[node]!.dataSync() as Float32Array;
    tf.dispose([x, ...r.outputs, ...Object.values(r.captured)]);
    return values;
  };
  const [y0, y1, y2] = [probe(0), probe(1), probe(2)];
  const scale: number[] = [];
  const offset: number[] = [];
  for (let i = 0; i < y0.length; i++) {
    const a = y1[i]! - y0[i]!;
    const c = i % channels;
    const tol = 1e-5 * Math.max(1, Math.abs(y2[i]!));
    if (Math.abs(y2[i]! - y1[i]! - a) > tol) return undefined; // not affine
    if (i < channels) {
      scale.push(a);
      offset.push(y0[i]!);
    } else if (Math.abs(scale[c]! - a) > tol || Math.abs(offset[c]! - y0[i]!) > tol) return undefined; // not the same at every pixel
  }
  return { node, scale, offset };
}

/**
 * The preset that matches a model's own input scaling: when raw pixels `[0, 255]` land in a small
 * range (|y| <= 5, e.g. x/255 or x/127.5 - 1) or the offsets are in pixel units (|offset| > 5, a
 * Caffe-style mean subtraction), the model wants raw pixels (`none`); otherwise the scaling
 * expects `[0, 1]` inputs (e.g. an ImageNet mean/std normalization built into the graph).
 */
export function presetForScaling(s: Pick<InputScaling, 'scale' | 'offset'>): PreprocessPreset {
  const small = s.scale.every((a, c) => Math.max(Math.abs(s.offset[c]!), Math.abs(255 * a + s.offset[c]!)) <= 5);
  const pixelMeans = s.offset.every((b) => Math.abs(b) > 5);
  return small || pixelMeans ? 'none' : '[0,1]';
}

const fmt = (v: number[]): string => (v.every((x) => x === v[0]) ? String(Number(v[0]!.toPrecision(4))) : `[${v.map((x) => Number(x.toPrecision(4))).join(', ')}]`);

/**
 * Decides how file data is preprocessed, in this order: `--preprocess` (or the recipe's
 * `data.preprocess`); the preset recorded in the model's model.json by a previous Bonsai run
 * (`userDefinedMetadata.bonsai.preprocess`); the model's own input scaling
 * ({@link measureInputScaling}); else `[0,1]`, with a note saying it is a guess.
 */
export function resolvePreprocess(given: Recipe['data']['preprocess'], sourced: SourcedModel | undefined): ResolvedPreprocess {
  if (given !== undefined) return { preset: given, source: 'option', note: `preprocessing: ${given} (given)` };
  const recorded = sourced?.location ? readPreprocessing(sourced.location.json) : undefined;
  if (recorded !== undefined && (PREPROCESS_PRESETS as readonly string[]).includes(recorded)) {
    return { preset: recorded as PreprocessPreset, source: 'metadata', note: `preprocessing: ${recorded} (recorded in the model's model.json by a previous bonsai run)` };
  }
  const scaling = sourced ? measureInputScaling(sourced.model) : undefined;
  if (scaling) {
    const preset = presetForScaling(scaling);
    const what = `the model scales its input itself (x * ${fmt(scaling.scale)} + ${fmt(scaling.offset)} up to node "${scaling.node}")`;
    return { preset, source: 'model', note: `preprocessing: ${preset} (${what}, so it is fed ${preset === 'none' ? 'raw pixel values 0..255' : 'pixels in [0, 1]'})` };
  }
  return {
    preset: '[0,1]',
    source: 'default',
    note: `preprocessing: [0,1] (x/255), the default: the model does not say how it was trained to see pixels${recorded !== undefined ? ` (its recorded "${recorded}" is not a preset)` : ''}; give --preprocess [-1,1], imagenet or none if it expects otherwise`,
  };
}
