import { ShapeError } from '@bonsai/core';
import { Dataset, type SampleSource } from '@bonsai/datasets';
import * as tf from '@tensorflow/tfjs-core';

/**
 * `dataset` (over its whole source, e.g. an array dataset) with every sample converted to the
 * model's `[h, w, c]` when it is loaded: bilinear resize (half-pixel centres), 1 channel repeated
 * to 3, 3 reduced to 1 by luma (ITU-R 601). One sample at a time, so nothing is held beyond the
 * batches in flight.
 * @throws ShapeError for shapes that cannot be converted (see `checkFit`).
 */
export function fitDataset(dataset: Dataset, want: readonly number[], name: string): Dataset {
  const src = dataset.source;
  const have = [...src.sampleShape];
  if (dataset.size !== src.count || have.length !== 3 || want.length !== 3) {
    throw new ShapeError(`cannot convert "${name}" samples of shape [${have.join(', ')}] to the model's [${want.join(', ')}]`);
  }
  const [h, w, c] = want as [number, number, number];
  const from = have[2]!;
  const rawSize = have.reduce((a, b) => a * b, 1);
  const fitted: SampleSource = {
    sampleShape: [...want],
    classes: src.classes,
    labels: src.labels,
    count: src.count,
    concurrency: src.concurrency,
    name: (i) => src.name(i),
    async load(index, out, offset) {
      const raw = new Float32Array(rawSize);
      await src.load(index, raw, 0);
      const t = tf.tidy(() => {
        let x = tf.tensor4d(raw, [1, ...(have as [number, number, number])]);
        if (x.shape[1] !== h || x.shape[2] !== w) x = tf.image.resizeBilinear(x, [h, w], false, true);
        if (from === 1 && c === 3) x = tf.tile(x, [1, 1, 1, 3]);
        if (from === 3 && c === 1) x = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
        return x;
      });
      out.set(t.dataSync(), offset);
      t.dispose();
    },
  };
  return new Dataset(fitted);
}
