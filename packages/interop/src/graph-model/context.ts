import type { Attrs, NodeId, Shape } from '@bonsai/core';
import { nodeError } from './errors';
import type { TfAttrs, TfNode } from './tf-attrs';
import type { ConstValue } from './weights';

/** What a TF-op converter sees: the TF node, its inputs (activations or Consts) and a way to add Bonsai nodes. */
export interface ImportContext {
  readonly tf: TfNode;
  readonly attrs: TfAttrs;
  /** Number of data inputs of the TF node. */
  readonly arity: number;
  /** Batch size fixed by the model's inputs (1 for `[1, h, w, c]` placeholders), else undefined. */
  readonly fixedBatch: number | undefined;
  /** Whether data input `i` is a Const. */
  isConst(i: number): boolean;
  /** The Bonsai node computing data input `i`; an InteropError when it is a Const. */
  tensor(i: number): NodeId;
  /** The decoded Const at data input `i`; an InteropError when it is an activation. */
  constant(i: number): ConstValue;
  /** The integer values of the (int32) Const at input `i`. */
  ints(i: number): number[];
  /** Per-sample shape of Bonsai node `id`. */
  shape(id: NodeId): Shape;
  /**
   * Adds a Bonsai node. Its id is the TF node's name, or `${name}/${suffix}` for the extra nodes
   * one TF node expands into (a fused activation, a batch norm).
   */
  node(op: string, inputs: readonly NodeId[], attrs: Attrs, suffix?: string): NodeId;
  /** Binds param `role` of Bonsai node `id` to float values of `shape`. */
  param(id: NodeId, role: string, values: Float32Array, shape: Shape): void;
}

/** Converts one TF op; returns the Bonsai node of each TF output (index k = output k). */
export type TfImporter = (ctx: ImportContext) => readonly NodeId[];

/** Throws an InteropError about the context's TF node. */
export function fail(ctx: ImportContext, message: string, key?: string): never {
  throw nodeError(ctx.tf.name, ctx.tf.op, message, key);
}

/** The float values of the Const at input `i`, checked to be float32. */
export function floatConst(ctx: ImportContext, i: number): ConstValue & { values: Float32Array } {
  const c = ctx.constant(i);
  if (c.dtype !== 'float32') fail(ctx, `input ${i} ("${c.name}") must be a float32 Const, got ${c.dtype}`);
  return c as ConstValue & { values: Float32Array };
}

/** Normalizes a TF axis (negative counts from the end) of a full-rank (batch included) tensor of `rank`. */
export function axisOf(ctx: ImportContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(ctx, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Requires NHWC layout (the default). */
export function requireNhwc(ctx: ImportContext): void {
  const f = ctx.attrs.str('data_format', 'NHWC');
  if (f !== 'NHWC' && f !== 'NDHWC' && f !== 'NWC') fail(ctx, `data_format "${f}" is not supported; Bonsai is NHWC (channels last) only`, 'data_format');
}
