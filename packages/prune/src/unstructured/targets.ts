import { Model, Param, ConfigError } from '@bonsai/core';

/** What a pruning function acts on: a whole model (its weights), one param, or a list of params. */
export type PruneTarget = Model | Param | readonly Param[];

/** Roles pruned by default when a whole model is given: the weights of conv, depthwise and dense. */
export const DEFAULT_ROLES: readonly string[] = ['kernel'];

/** True for params pruned by default: trainable weights (`kernel`), not biases or BN params. */
export function isPrunable(p: Param): boolean {
  return p.trainable && DEFAULT_ROLES.includes(p.role);
}

/**
 * Looks up params of `model` by name: a full param name (`fc1/kernel`) or a node id (`fc1`, which
 * stands for that node's prunable params). Throws a `PARAM` BonsaiError naming an unknown entry.
 */
export function lookupParams(model: Model, names: readonly string[]): Param[] {
  const out: Param[] = [];
  for (const name of names) {
    const direct = model.params.get(name);
    if (direct) {
      out.push(direct);
      continue;
    }
    const ofNode = [...model.params.values()].filter((p) => p.nodeId === name && isPrunable(p));
    if (ofNode.length === 0) {
      throw new ConfigError(`Unknown param or node "${name}": expected a name like "fc1/kernel" or a node id with weights`, { param: name }, { code: 'PARAM' });
    }
    out.push(...ofNode);
  }
  return dedupe(out);
}

/**
 * Resolves a {@link PruneTarget} to params: a model gives its prunable params (or those named in
 * `names`), a param gives itself, a list gives its members.
 */
export function resolveTarget(target: PruneTarget, names?: readonly string[]): Param[] {
  if (target instanceof Model) {
    return names ? lookupParams(target, names) : [...target.params.values()].filter(isPrunable);
  }
  const list = target instanceof Param ? [target] : [...target];
  if (!names) return dedupe(list);
  const byName = new Map(list.map((p) => [p.name, p]));
  return dedupe(
    names.map((n) => {
      const p = byName.get(n);
      if (!p) throw new ConfigError(`Unknown param "${n}" among [${list.map((q) => q.name).join(', ')}]`, { param: n }, { code: 'PARAM' });
      return p;
    }),
  );
}

function dedupe(ps: Param[]): Param[] {
  return [...new Set(ps)];
}
