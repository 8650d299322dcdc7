import type { Attrs, Graph, Node, NodeId, Shape } from '@bonsai/core';
import type { ConfigReader } from '../json';
import type { KerasLayer } from '../topology';

/** What a layer importer sees and may do while a Keras layer becomes Bonsai nodes. */
export interface ImportContext {
  readonly layer: KerasLayer;
  readonly cfg: ConfigReader;
  /** Bonsai node ids of the layer's inputs. */
  readonly inputs: readonly NodeId[];
  /** Adds a node (attrs validated, shape inferred); returns its id. */
  node(op: string, inputs: readonly NodeId[], attrs: Attrs, id: NodeId): NodeId;
  /** A node id derived from the layer name that collides with no layer or node. */
  derivedId(suffix: string): NodeId;
  /** Per-sample output shape of a node already added. */
  shape(id: NodeId): Shape;
  /**
   * Binds Bonsai param `role` of node `id` to the Keras weight `${layer}/${kerasName}`; `map`
   * transforms its values (same count; the param may then have another shape holding as many
   * values, e.g. `[C]` -> `[1, 1, C]`), `frozen` imports the param as not trainable.
   */
  weight(id: NodeId, role: string, kerasName: string, options?: { map?: (values: Float32Array) => Float32Array; frozen?: boolean }): void;
  /** Marks the Keras weight `${layer}/${kerasName}` as read by this layer though no param takes it. */
  skipWeight(kerasName: string): void;
  /** Shape of the Keras weight `${layer}/${kerasName}` in the manifest, if present. */
  weightShape(kerasName: string): readonly number[] | undefined;
  /**
   * Sets Bonsai param `role` of node `id` to a constant (Keras layers with center/scale off) or to
   * values from the config (as many as the param holds; Rescaling's per-channel lists); `frozen`
   * imports the param as not trainable.
   */
  fill(id: NodeId, role: string, value: number | Float32Array, options?: { frozen?: boolean }): void;
}

/** Converts one Keras layer into Bonsai nodes; returns the node id holding the layer's output. */
export type LayerImporter = (ctx: ImportContext) => NodeId;

/** A param's effective values (masks applied) and shape, as export reads them. */
export interface ParamValues {
  values: Float32Array;
  shape: readonly number[];
}

/** One exported Keras layer: class, config, and its weights (Keras name -> Bonsai role). */
export interface ExportedLayer {
  className: string;
  config: Record<string, unknown>;
  weights: ReadonlyArray<{ keras: string; role: string }>;
  /** Config entries computed from the node's params (by role): constants Keras keeps in the config, not as weights. */
  configFromParams?: (params: Readonly<Record<string, ParamValues>>) => Record<string, unknown>;
  /**
   * The layer takes an `activation` config (Conv2D, DepthwiseConv2D, Dense), so export may merge
   * the activation node that alone reads it back into it, as Keras writes such layers.
   */
  fusesActivation?: boolean;
}

/** Writes one Bonsai node as a Keras layer. */
export type LayerExporter = (node: Node, inputShapes: readonly Shape[], graph: Graph) => ExportedLayer;

/**
 * One Keras layer class: how it imports (into which core ops) and which core ops export as it.
 * Every family file (conv.ts, dense.ts, ...) lists its entries; `layers/index.ts` registers them.
 */
export interface LayerEntry {
  /** Keras class name (what export writes). */
  readonly className: string;
  /** Other class names that import the same way (`Convolution2D`, `MaxPool2D`, ...). */
  readonly aliases?: readonly string[];
  /** The graph-input layer (InputLayer): it has no inbound layers. */
  readonly source?: boolean;
  /** Core ops the import may produce (a test checks they are registered). */
  readonly ops: readonly string[];
  /** Keras -> Bonsai. */
  readonly import: LayerImporter;
  /** Bonsai -> Keras, for the core ops written as this class (each op has exactly one owner). */
  readonly export?: Readonly<Record<string, LayerExporter>>;
  /** A note for the README table (options that are refused, semantics). */
  readonly note?: string;
}

/** Core ops that have no stock tfjs-layers equivalent, with the reason (listed in the README). */
export type Unexportable = Readonly<Record<string, string>>;
