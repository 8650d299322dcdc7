import type { Param } from '@bonsai/core';
import type { Amount } from './amount';
import { resolveTarget, type PruneTarget } from './targets';

/**
 * An amount for every selected param, or a per-layer dictionary keyed by param name
 * (`'fc1/kernel'`) or node id (`'fc1'`): `{ 'fc1/kernel': 0.9, fc2: 0.5 }`.
 */
export type AmountSpec = Amount | Readonly<Record<string, Amount>>;

/** True when `a` is a per-layer dictionary rather than a single {@link Amount}. */
export function isAmountDict(a: AmountSpec): a is Readonly<Record<string, Amount>> {
  if (typeof a !== 'object' || a === null) return false;
  const keys = Object.keys(a);
  return !(keys.length === 1 && keys[0] === 'count' && typeof (a as { count: unknown }).count === 'number');
}

/** Pairs each param of `target` with its amount (a dictionary selects and configures params). */
export function paramAmounts(target: PruneTarget, amount: AmountSpec, names?: readonly string[]): Array<[Param, Amount]> {
  if (!isAmountDict(amount)) return resolveTarget(target, names).map((p) => [p, amount]);
  const out = new Map<Param, Amount>();
  for (const [key, a] of Object.entries(amount)) {
    for (const p of resolveTarget(target, [key])) out.set(p, a);
  }
  return [...out];
}
