import { arrayDataset } from './array-dataset';
import type { Dataset } from './dataset';
import type { Split } from './types';

/**
 * A {@link Split} (e.g. `loadMnist().train`) as a streaming {@link Dataset}, so MNIST and your own
 * files share one API. Values are used as stored (MNIST: already in [0, 1]).
 */
export function fromSplit(split: Split): Dataset {
  const shape = [...(split.shape ?? [28, 28, 1])];
  const numClasses = split.numClasses ?? 10;
  return arrayDataset(
    { data: split.images, shape: [split.count, ...shape] },
    { data: split.labels, shape: [split.count] },
    { classes: Array.from({ length: numClasses }, (_, i) => String(i)) },
  );
}
