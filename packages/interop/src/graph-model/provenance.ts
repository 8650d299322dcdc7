import type { Model, NodeId } from '@bonsai/core';
import type { JsonObject } from '../json';
import type { SignatureTensor } from './topology';

/** Where an imported GraphModel came from: what export needs to write it back in the same form. */
export interface GraphModelProvenance {
  readonly format: 'graph-model';
  /** model.json fields other than modelTopology and weightsManifest (format, generatedBy, convertedBy, signature, userDefinedMetadata, ...). */
  readonly meta: JsonObject;
  /** modelTopology fields other than `node` (versions, library). */
  readonly topologyMeta: JsonObject;
  /** Bonsai node -> the TF tensor it computes (`name` or `name:k`); nodes a TF op expanded into have none. */
  readonly tfNames: ReadonlyMap<NodeId, string>;
  /** Signature inputs and outputs, if the file had a signature. */
  readonly signatureInputs: readonly SignatureTensor[] | undefined;
  readonly signatureOutputs: readonly SignatureTensor[] | undefined;
  /** The batch size the file's placeholders fixed (e.g. 1), if any. */
  readonly fixedBatch: number | undefined;
}

const registry = new WeakMap<Model, GraphModelProvenance>();

/** Records the provenance of an imported model. */
export function setGraphProvenance(model: Model, p: GraphModelProvenance): void {
  registry.set(model, p);
}

/** The GraphModel provenance of `model` (set by `importGraphModel`), if any. Survives pruning of the same Model object. */
export function graphModelProvenance(model: Model): GraphModelProvenance | undefined {
  return registry.get(model);
}
