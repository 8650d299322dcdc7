import { BonsaiError, createRng, shuffledIndices } from '@bonsai/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkSeed, DatasetError } from './errors';
import type { SampleSource } from './sample-source';
import { DEFAULT_SEED, shuffleInPlace } from './shuffle';

/** One streamed batch. The consumer owns `x` and `y`: dispose them when done. */
export interface DataBatch {
  /** `[b, ...sampleShape]` float32. */
  x: tf.Tensor;
  /** One-hot `[b, numClasses]` float32; absent for unlabeled data. */
  y?: tf.Tensor;
  /** Class index of each sample; absent for unlabeled data. */
  labels?: Int32Array;
  /** Position of each sample in the dataset. */
  indices: Uint32Array;
}

/** Progress of a {@link Dataset.batches} pass, reported after each batch is ready. */
export interface StreamProgress {
  /** Batches produced so far in this pass. */
  batches: number;
  /** Samples loaded so far in this pass. */
  samples: number;
  /** Samples this pass will load. */
  total: number;
}

/** Options of {@link Dataset.batches}. */
export interface StreamOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Visit samples in a seeded random order (default false). */
  shuffle?: boolean;
  /** Shuffle seed (default 42). */
  seed?: number;
  /** Skip the last batch when it is smaller than `batchSize` (default false). */
  dropRemainder?: boolean;
  /** Batches loaded ahead while the consumer works on the current one (default 1; 0 = none). */
  prefetch?: number;
  /** Called after each batch is loaded. */
  onProgress?: (progress: StreamProgress) => void;
}

/** Options of {@link Dataset.split}. */
export interface SplitOptions {
  /** Share of the samples that goes to validation, in (0, 1). */
  validationSplit: number;
  /** Seed of the split (default 42). */
  seed?: number;
}

/**
 * A dataset whose samples are loaded only when a batch needs them: at most `prefetch + 1` batches
 * are loading while the consumer holds one, however large the dataset. Cheap to query (`size`, `classes`,
 * `sampleShape`) and to split; views (`split`, `subset`) share the source.
 */
export class Dataset {
  private readonly order: Uint32Array;

  /** @param indices the source samples this dataset covers, in order (default: all). */
  constructor(readonly source: SampleSource, indices?: Uint32Array) {
    this.order = indices ?? Uint32Array.from({ length: source.count }, (_, i) => i);
  }

  /** Number of samples. */
  get size(): number {
    return this.order.length;
  }

  /** Shape of one sample, e.g. `[224, 224, 3]`. */
  get sampleShape(): number[] {
    return [...this.source.sampleShape];
  }

  /** Class names (position = class index), or undefined for unlabeled data. */
  get classes(): string[] | undefined {
    return this.source.classes ? [...this.source.classes] : undefined;
  }

  /** Whether samples carry class labels. */
  get labeled(): boolean {
    return this.source.labels !== undefined;
  }

  /** Class index of every sample in dataset order, or undefined for unlabeled data. */
  labels(): Int32Array | undefined {
    const labels = this.source.labels;
    return labels ? Int32Array.from(this.order, (i) => labels[i] as number) : undefined;
  }

  /** The file (or name) of every sample in dataset order. */
  names(): string[] {
    return Array.from(this.order, (i) => this.source.name(i));
  }

  /** The samples at `positions` of this dataset, in that order. */
  subset(positions: ArrayLike<number>): Dataset {
    const picked = new Uint32Array(positions.length);
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i] as number;
      checkInt(`positions[${i}]`, p, 0, this.size - 1);
      picked[i] = this.order[p] as number;
    }
    return new Dataset(this.source, picked);
  }

  /**
   * A deterministic train/validation split. Labeled data is stratified: each class gives
   * `round(n_c * validationSplit)` seeded-random samples to validation. Both parts keep this
   * dataset's order (shuffle when batching).
   * @throws DatasetError when validationSplit is not in (0, 1) or a part would be empty.
   */
  split(options: SplitOptions): { train: Dataset; validation: Dataset } {
    const { validationSplit } = options;
    if (!(validationSplit > 0 && validationSplit < 1)) throw new DatasetError(`validationSplit must be in (0, 1), got ${String(validationSplit)}`);
    const rng = createRng(checkSeed('seed', options.seed ?? DEFAULT_SEED));
    const labels = this.labels();
    const groups = new Map<number, number[]>();
    for (let p = 0; p < this.size; p++) {
      const key = labels ? (labels[p] as number) : 0;
      const group = groups.get(key) ?? [];
      group.push(p);
      groups.set(key, group);
    }
    const isValidation = new Uint8Array(this.size);
    for (const key of [...groups.keys()].sort((a, b) => a - b)) {
      const members = Uint32Array.from(groups.get(key) ?? []);
      shuffleInPlace(members, rng);
      const take = Math.round(members.length * validationSplit);
      for (let i = 0; i < take; i++) isValidation[members[i] as number] = 1;
    }
    const train: number[] = [];
    const validation: number[] = [];
    isValidation.forEach((v, p) => (v ? validation : train).push(p));
    if (train.length === 0 || validation.length === 0) {
      throw new DatasetError(`validationSplit ${validationSplit} of ${this.size} samples leaves an empty ${train.length === 0 ? 'train' : 'validation'} part`);
    }
    return { train: this.subset(train), validation: this.subset(validation) };
  }

  /**
   * Streams batches: `for await (const { x, y } of ds.batches({ batchSize: 32, shuffle: true }))`.
   * The next batch loads while the consumer works on the current one (`prefetch`); a sample that
   * fails to load rejects the iteration with an error naming its file. Options are checked eagerly.
   */
  batches(options: StreamOptions): AsyncGenerator<DataBatch> {
    checkInt('batchSize', options.batchSize, 1);
    checkInt('prefetch', options.prefetch ?? 1, 0, 64);
    const seed = checkSeed('seed', options.seed ?? DEFAULT_SEED);
    const order = options.shuffle ? shuffledIndices(this.size, seed) : Uint32Array.from({ length: this.size }, (_, i) => i);
    const end = options.dropRemainder ? this.size - (this.size % options.batchSize) : this.size;
    return this.stream(order.subarray(0, end), options);
  }

  private async *stream(order: Uint32Array, options: StreamOptions): AsyncGenerator<DataBatch> {
    const { batchSize, onProgress } = options;
    const prefetch = options.prefetch ?? 1;
    const starts: number[] = [];
    for (let s = 0; s < order.length; s += batchSize) starts.push(s);
    const pending: Promise<LoadedBatch>[] = [];
    let next = 0;
    const launch = (): void => {
      const start = starts[next++] as number;
      const promise = this.loadBatch(order.subarray(start, Math.min(start + batchSize, order.length)));
      promise.catch(() => undefined); // rejections surface when awaited, not as unhandled
      pending.push(promise);
    };
    let samples = 0;
    for (let b = 0; b < starts.length; b++) {
      while (next < starts.length && pending.length < prefetch + 1) launch();
      const loaded = await (pending.shift() as Promise<LoadedBatch>);
      samples += loaded.indices.length;
      onProgress?.({ batches: b + 1, samples, total: order.length });
      yield this.toTensors(loaded);
    }
  }

  private async loadBatch(positions: Uint32Array): Promise<LoadedBatch> {
    const { source } = this;
    const size = source.sampleShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(positions.length * size);
    const indices = Uint32Array.from(positions, (p) => this.order[p] as number);
    let cursor = 0;
    const worker = async (): Promise<void> => {
      while (cursor < indices.length) {
        const i = cursor++;
        const index = indices[i] as number;
        try {
          await source.load(index, x, i * size);
        } catch (cause) {
          if (cause instanceof BonsaiError) throw cause;
          throw new DatasetError(`cannot load sample: ${cause instanceof Error ? cause.message : String(cause)}`, source.name(index));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(source.concurrency, indices.length)) }, worker));
    const labels = source.labels;
    return { x, positions: Uint32Array.from(positions, (p) => p), indices, labels: labels ? Int32Array.from(indices, (i) => labels[i] as number) : undefined };
  }

  private toTensors(loaded: LoadedBatch): DataBatch {
    const n = loaded.positions.length;
    const x = tf.tensor(loaded.x, [n, ...this.source.sampleShape], 'float32');
    const batch: DataBatch = { x, indices: loaded.positions };
    if (loaded.labels) {
      const depth = this.source.classes?.length ?? 0;
      const y = new Float32Array(n * depth);
      loaded.labels.forEach((label, i) => (y[i * depth + label] = 1));
      batch.y = tf.tensor2d(y, [n, depth], 'float32');
      batch.labels = loaded.labels;
    }
    return batch;
  }
}

interface LoadedBatch {
  x: Float32Array;
  /** Positions in the dataset. */
  positions: Uint32Array;
  /** Source indices. */
  indices: Uint32Array;
  labels: Int32Array | undefined;
}
