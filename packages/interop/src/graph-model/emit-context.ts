import type { Graph, Node, NodeId, Shape } from '@bonsai/core';
import { nodeError } from './errors';

/** A float param as export writes it: values with masks baked in. */
export interface ParamValue {
  readonly values: Float32Array;
  readonly shape: Shape;
}

/** A fusable activation following a node (absorbed into a fused TF op). */
export interface FusedActivation {
  /** TF fused_ops name: Relu, Relu6, Elu, LeakyRelu, Sigmoid, Prelu. */
  readonly tfOp: string;
  /** The absorbed Bonsai node. */
  readonly node: Node;
  /** Its TF name: the fused op takes it. */
  readonly name: string;
}

/** What an emitter sees: one Bonsai node, its inputs as TF tensor refs, and ways to add TF nodes. */
export interface EmitContext {
  readonly node: Node;
  readonly graph: Graph;
  /** Per-sample shapes of the node's inputs and output. */
  readonly inputShapes: readonly Shape[];
  readonly outputShape: Shape;
  /** Batch size written into placeholders: -1 (any) unless the source fixed it. */
  readonly batch: number;
  /** TF tensor refs of the node's inputs. */
  readonly inputs: readonly string[];
  /** The TF name this node's output gets (its provenance name, else its id); use it for the node that produces the output. */
  readonly name: string;
  /** The node's param `role` with masks baked in. */
  param(role: string): ParamValue;
  /** Param `role` of another node (an absorbed activation's). */
  paramOf(id: NodeId, role: string): ParamValue;
  /** Adds a Const (`kernel` marks weights that may be stored quantized); returns its name. */
  constant(base: string, values: Float32Array | Int32Array, shape: readonly number[], kind: 'kernel' | 'float' | 'int32'): string;
  /** Adds a TF node (`name` defaults to a fresh one derived from `base`); returns its name. */
  emit(op: string, inputs: readonly string[], attr: Record<string, unknown>, name?: string): string;
  /** The single activation consumer that a fused TF op can absorb (then it gets no node of its own and the fused op takes its name). */
  fuseActivation(allowed: readonly string[]): FusedActivation | undefined;
  /** Declares output `k` of the TF node `name` as the output of Bonsai node `id` (multi-output ops such as SplitV). */
  bind(id: NodeId, ref: string): void;
}

/** Writes one Bonsai op as TF nodes; returns the TF tensor ref of its output. */
export type TfEmitter = (ctx: EmitContext) => string;

/** Throws an InteropError about the emitted Bonsai node. */
export function emitFail(ctx: EmitContext, message: string): never {
  throw nodeError(ctx.node.id, ctx.node.op, `cannot be written as a GraphModel: ${message}`);
}

/** `[1, h, w, 1]` for 2-D window attributes. */
export const nhwc = (p: readonly number[]): number[] => [1, p[0]!, p[1]!, 1];
