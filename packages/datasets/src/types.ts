/** Samples stored as plain typed arrays: `images` holds `count` samples back to back. */
export interface Split {
  /** `count * prod(shape)` values, sample-major (MNIST: 784 floats in [0, 1] per digit). */
  images: Float32Array;
  /** Class of each sample, `0 .. numClasses-1`. */
  labels: Uint8Array;
  /** Number of samples. */
  count: number;
  /** Shape of one sample (NHWC without N); `[28, 28, 1]` when absent. */
  shape?: readonly number[];
  /** Number of classes; 10 when absent. */
  numClasses?: number;
}

/** A split of MNIST; `indices` tells which digit of the `mnist` package each sample is. */
export interface MnistSplit extends Split {
  /** Position of each sample in the package's class-major order (`0.json` first), 0 .. 9999. */
  indices: Uint32Array;
}

/** MNIST as a deterministic train/test split of plain typed arrays (no tensors). */
export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  imageShape: [28, 28, 1];
  numClasses: 10;
}
