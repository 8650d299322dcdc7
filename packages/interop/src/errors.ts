import { BonsaiError } from '@bonsai/core';

/** Where an interop problem sits: a Keras layer (import) or a Bonsai node (export). */
export interface InteropDetails {
  /** Keras layer name (import) or exported layer name. */
  layer?: string;
  /** Keras class name (`Conv2D`, `LSTM`, ...). */
  className?: string;
  /** Bonsai node id (export). */
  nodeId?: string;
  /** Bonsai op name (export). */
  op?: string;
  /** The config key that is wrong, if any. */
  key?: string;
}

/**
 * A model that cannot be converted between Keras (tfjs LayersModel) and Bonsai: an unsupported
 * layer class or option on import, or an op without a Keras equivalent on export.
 * Always `code === 'INTEROP'`; `details` names the layer/class or node/op.
 */
export class InteropError extends BonsaiError {
  constructor(message: string, readonly where: InteropDetails = {}) {
    super('INTEROP', message, { ...where });
    this.name = 'InteropError';
  }
}

/** Builds an InteropError about Keras layer `layer` of class `className`. */
export function layerError(layer: string, className: string, message: string, key?: string): InteropError {
  return new InteropError(`Layer "${layer}" (${className}): ${message}`, { layer, className, ...(key === undefined ? {} : { key }) });
}
