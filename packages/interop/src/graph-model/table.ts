import type { TfImporter } from './context';
import type { TfEmitter } from './emit-context';
import { activationEmitters, activationImporters } from './ops/activation';
import { convEmitters, convImporters } from './ops/conv';
import { elementwiseEmitters, elementwiseImporters } from './ops/elementwise';
import { matMulEmitters, matMulImporters } from './ops/matmul';
import { normEmitters, normImporters } from './ops/norm';
import { poolEmitters, poolImporters } from './ops/pool';
import { resizeEmitters, resizeImporters } from './ops/resize';
import { shapeEmitters, shapeImporters } from './ops/shape';
import { patternImporters, transformerEmitters } from './ops/transformer';

/**
 * TF op name -> converter onto registered Bonsai ops, one file per op family. Placeholder and
 * Const are handled by the importer itself (graph inputs; params and attributes).
 */
export const GRAPH_OP_IMPORTERS: Readonly<Record<string, TfImporter>> = Object.freeze({
  ...convImporters,
  ...matMulImporters,
  ...normImporters,
  ...activationImporters,
  ...elementwiseImporters,
  ...poolImporters,
  ...shapeImporters,
  ...resizeImporters,
});

/** Every TF op the GraphModel importer reads, sorted (Placeholder and Const included). */
export function supportedGraphOps(): string[] {
  return ['Const', 'Placeholder', ...Object.keys(GRAPH_OP_IMPORTERS)].sort();
}

/** The converter of TF op `op`, if there is one (own keys only). */
export function graphImporter(op: string): TfImporter | undefined {
  return  Object.hasOwn(GRAPH_OP_IMPORTERS, op) ? GRAPH_OP_IMPORTERS[op] : Object.hasOwn(patternImporters, op) ? patternImporters[op] : undefined;
}

/** Bonsai op -> writer of TF nodes (export), one file per op family beside the importers. `input` is written by the exporter. */
export const GRAPH_OP_EMITTERS: Readonly<Record<string, TfEmitter>> = Object.freeze({
  ...convEmitters,
  ...matMulEmitters,
  ...normEmitters,
  ...activationEmitters,
  ...elementwiseEmitters,
  ...poolEmitters,
  ...shapeEmitters,
  ...resizeEmitters,
  ...transformerEmitters,
});

/** The emitter of Bonsai op `op`, if there is one (own keys only). */
export function graphEmitter(op: string): TfEmitter | undefined {
  return  Object.hasOwn(GRAPH_OP_EMITTERS, op) ? GRAPH_OP_EMITTERS[op] : undefined;
}
