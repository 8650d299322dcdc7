import { InteropError } from '../errors';

/** Format name used in every GraphModel error message. */
export const GRAPH_MODEL = 'GraphModel';

/** An InteropError about TF node `node` (op `op`) of a GraphModel; the message names format, node and op. */
export function nodeError(node: string, op: string, message: string, key?: string): InteropError {
  return new InteropError(`${GRAPH_MODEL} node "${node}" (${op}): ${message}`, { nodeId: node, op, ...(key === undefined ? {} : { key }) });
}
