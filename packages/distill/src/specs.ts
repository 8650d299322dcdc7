import type { NodeId } from '@bonsai/core';
import type { AttentionOptions } from './attention';
import type { RkdOptions } from './rkd';

/** Kind of feature-level distillation term. */
export type FeatureLossKind = 'hint' | 'attention' | 'rkd';

/**
 * One feature-level term of a distillation: the student's activation at `studentNode` is matched
 * to the teacher's at `teacherNode` (both captured in the same forward passes as the logits).
 * - `hint` (default): FitNets MSE, through a learned 1x1 {@link HintAdapter} when channel
 *   counts differ (`adapter: 'auto'`), always (`'always'`) or never (`'never'`).
 * - `attention`: attention transfer; channel counts may differ, spatial axes must match.
 * - `rkd`: relational KD (distance + angle) on the flattened activations; any sizes.
 */
export interface HintSpec extends AttentionOptions, RkdOptions {
  teacherNode: NodeId;
  studentNode: NodeId;
  kind?: FeatureLossKind;
  /** Weight of this term in the total loss (default 1). */
  weight?: number;
  /** `hint` only: when to use a learned 1x1 adapter (default `'auto'`). */
  adapter?: 'auto' | 'always' | 'never';
}
