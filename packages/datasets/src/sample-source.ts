/** Where a {@link Dataset}'s samples come from: an image folder, browser files, or in-memory arrays. */
export interface SampleSource {
  /** Shape of one sample (NHWC without N). */
  readonly sampleShape: readonly number[];
  /** Class names, position = class index; absent for unlabeled data. */
  readonly classes?: readonly string[];
  /** Class index of every sample (source order); absent for unlabeled data. */
  readonly labels?: Int32Array;
  /** Number of samples. */
  readonly count: number;
  /** How many samples may be loading at once (decoders in flight). */
  readonly concurrency: number;
  /** The file or name of sample `index`, for errors and results. */
  name(index: number): string;
  /** Writes sample `index` (`prod(sampleShape)` float32 values) into `out` at `offset`. */
  load(index: number, out: Float32Array, offset: number): Promise<void> | void;
}
