import { ConfigError } from '../errors';
import type { Conv2dOptions, DepthwiseConv2dOptions } from '../ops/conv';
import type { DenseOptions } from '../ops/dense';
import type { DropoutOptions } from '../ops/dropout';
import type { BatchNormOptions, LayerNormOptions } from '../ops/norm';
import type { PoolOptions } from '../ops/pool';
import { getOp } from '../ops/registry';
import type { ReshapeOptions } from '../ops/reshape';
import { Graph } from './graph';
import type { Attrs, Node, NodeId } from './types';

/** Options every builder method takes: an explicit node name. */
export interface NameOption {
  name?: string;
}

/**
 * Builds a {@link Graph} functionally:
 * ```ts
 * const b = new GraphBuilder();
 * const x = b.input([28, 28, 1]);
 * const y = b.dense(b.flatten(b.relu(b.conv2d(x, { filters: 16, kernel: 3 }))), { units: 10 });
 * const graph = b.build(y);
 * ```
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly ids = new Set<string>();
  private readonly counters = new Map<string, number>();

  /** Adds a node of any registered op; returns its id. */
  op(op: string, inputs: readonly NodeId[], attrs: Attrs = {}, name?: string): NodeId {
    let id = name;
    if (id === undefined) {
      let k = this.counters.get(op) ?? 0;
      do id = `${op}_${++k}`;
      while (this.ids.has(id));
      this.counters.set(op, k);
    }
    if (this.ids.has(id)) throw new ConfigError(`Duplicate node name "${id}"`, { nodeId: id }, { code: 'GRAPH' });
    for (const i of inputs) if (!this.ids.has(i)) throw new ConfigError(`Node "${id}" reads unknown node "${i}"`, { nodeId: id }, { code: 'UNKNOWN_NODE' });
    this.ids.add(id);
    this.nodes.push({ id, op, inputs: [...inputs], attrs });
    return id;
  }

  /** A graph input of per-sample `shape` (e.g. [28, 28, 1]). */
  input(shape: readonly number[], o: NameOption = {}): NodeId {
    return this.op('input', [], { shape: [...shape] }, o.name);
  }

  /** 2-D convolution (NHWC); `groups` > 1 makes a grouped convolution. */
  conv2d(x: NodeId, o: NameOption & Conv2dOptions): NodeId {
    const { name, ...attrs } = o;
    return this.op('conv2d', [x], attrs as Attrs, name);
  }

  /** Depthwise 2-D convolution. */
  depthwiseConv2d(x: NodeId, o: NameOption & DepthwiseConv2dOptions): NodeId {
    const { name, ...attrs } = o;
    return this.op('depthwiseConv2d', [x], attrs as Attrs, name);
  }

  /** Fully connected layer over the last axis. */
  dense(x: NodeId, o: NameOption & DenseOptions): NodeId {
    const { name, ...attrs } = o;
    return this.op('dense', [x], attrs, name);
  }

  /** Batch normalization over channels. */
  batchNorm(x: NodeId, o: NameOption & BatchNormOptions = {}): NodeId {
    const { name, ...attrs } = o;
    return this.op('batchNorm', [x], attrs, name);
  }

  /** Layer normalization over the last axis. */
  layerNorm(x: NodeId, o: NameOption & LayerNormOptions = {}): NodeId {
    const { name, ...attrs } = o;
    return this.op('layerNorm', [x], attrs, name);
  }

  /** ReLU. */
  relu(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('relu', [x], {}, o.name);
  }

  /** ReLU6. */
  relu6(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('relu6', [x], {}, o.name);
  }

  /** GELU (tanh approximation). */
  gelu(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('gelu', [x], {}, o.name);
  }

  /** Sigmoid. */
  sigmoid(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('sigmoid', [x], {}, o.name);
  }

  /** Tanh. */
  tanh(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('tanh', [x], {}, o.name);
  }

  /** Softmax over the last axis. */
  softmax(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('softmax', [x], {}, o.name);
  }

  /** Max pooling (strides default to the pool size). */
  maxPool(x: NodeId, o: NameOption & PoolOptions = {}): NodeId {
    const { name, ...attrs } = o;
    return this.op('maxPool', [x], attrs as Attrs, name);
  }

  /** Average pooling (strides default to the pool size). */
  avgPool(x: NodeId, o: NameOption & PoolOptions = {}): NodeId {
    const { name, ...attrs } = o;
    return this.op('avgPool', [x], attrs as Attrs, name);
  }

  /** Mean over the spatial axes. */
  globalAvgPool(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('globalAvgPool', [x], {}, o.name);
  }

  /** Elementwise sum (residual connection). */
  add(xs: readonly NodeId[], o: NameOption = {}): NodeId {
    return this.op('add', xs, {}, o.name);
  }

  /** Concatenation along channels. */
  concat(xs: readonly NodeId[], o: NameOption = {}): NodeId {
    return this.op('concat', xs, {}, o.name);
  }

  /** Splits channels into pieces of `sizes`; returns one node per piece (named `${name}_${i}`). */
  split(x: NodeId, o: NameOption & { sizes: readonly number[] }): NodeId[] {
    return o.sizes.map((_, index) => this.op('split', [x], { sizes: [...o.sizes], index }, o.name === undefined ? undefined : `${o.name}_${index}`));
  }

  /** Flattens to one axis (NHWC order). */
  flatten(x: NodeId, o: NameOption = {}): NodeId {
    return this.op('flatten', [x], {}, o.name);
  }

  /** Reshapes to a per-sample shape. */
  reshape(x: NodeId, o: NameOption & ReshapeOptions): NodeId {
    return this.op('reshape', [x], { shape: [...o.shape] }, o.name);
  }

  /** Dropout (training only). */
  dropout(x: NodeId, o: NameOption & DropoutOptions = {}): NodeId {
    const { name, ...attrs } = o;
    return this.op('dropout', [x], attrs, name);
  }

  /** Validates and returns the graph with the given output(s). */
  build(outputs: NodeId | readonly NodeId[]): Graph {
    const outs = typeof outputs === 'string' ? [outputs] : [...outputs];
    const inputs = this.nodes.filter((n) => getOp(n.op, n.id).graphInput).map((n) => n.id);
    return new Graph({ inputs, outputs: outs, nodes: this.nodes });
  }
}
