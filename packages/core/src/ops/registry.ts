import { UnknownOpError } from '../errors';
import type { Attrs } from '../ir/types';
import type { OpSpec } from './spec';

const registry = new Map<string, OpSpec<Attrs>>();

/** Adds an op to the registry (replacing one of the same name). */
export function registerOp<A extends Attrs>(spec: OpSpec<A>): void {
  registry.set(spec.name, spec as unknown as OpSpec<Attrs>);
}

/** The spec of op `name`; throws UnknownOpError naming the op (and node, when given). */
export function getOp(name: string, nodeId?: string): OpSpec<Attrs> {
  const spec = registry.get(name);
  if (!spec) throw new UnknownOpError(name, nodeId);
  return spec;
}

/** Names of all registered ops. */
export function listOps(): string[] {
  return [...registry.keys()].sort();
}
