import { bnScale, magnitude, type GroupImportance } from '@bonsai/prune';

/** Channel-importance criteria by name (names travel to worker threads; functions cannot). */
export type ImportanceName = 'l2' | 'l1' | 'bnScale';

/** The @bonsai/prune criterion behind a name: `magnitude({ p: 2 })`, `magnitude({ p: 1 })` or `bnScale()`. */
export function importanceOf(name: ImportanceName = 'l2'): GroupImportance {
  return name === 'bnScale' ? bnScale() : magnitude({ p: name === 'l1' ? 1 : 2 });
}
