import { ConfigError } from '@bonsai/core';

/**
 * How much to prune: a fraction in `[0, 1]` of the entries (or channels) still unpruned, an
 * integer `> 1` counting them, or `{ count }` for an explicit count (also 0 or 1).
 * Like torch's PruningContainer, the amount is relative to what is still unpruned.
 */
export type Amount = number | { readonly count: number };

/** Number of entries to prune out of `available` still-unpruned ones; validates the amount. */
export function resolveCount(amount: Amount, available: number, where: string): number {
  if (typeof amount === 'object' && amount !== null) {
    const c = amount.count;
    if (!Number.isInteger(c) || c < 0) throw new ConfigError(`${where}: amount.count must be a non-negative integer, got ${c}`, { param: where, amount: c });
    if (c > available) throw new ConfigError(`${where}: amount.count=${c} exceeds the ${available} entries still unpruned`, { param: where, amount: c });
    return c;
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    throw new ConfigError(`${where}: amount must be a fraction in [0, 1] or a positive integer count, got ${String(amount)}`, { param: where, amount });
  }
  if (amount <= 1) return Math.round(amount * available);
  if (!Number.isInteger(amount)) {
    throw new ConfigError(`${where}: amount ${amount} is neither a fraction in [0, 1] nor an integer count`, { param: where, amount });
  }
  if (amount > available) throw new ConfigError(`${where}: amount=${amount} exceeds the ${available} entries still unpruned`, { param: where, amount });
  return amount;
}

/** Validates a sparsity level (fraction of zeros) in `[0, 1]`. */
export function checkSparsity(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be in [0, 1], got ${String(value)}`, { option: name, value });
  }
  return value;
}
