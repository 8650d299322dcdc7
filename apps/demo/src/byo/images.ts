import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model } from '@bonsai/core';
import { imageFiles, type NamedBlob, type Preprocess } from '@bonsai/datasets/browser';
import type { Tensors } from '../methods/index';
import type { DataSummary } from '../protocol';

/** At most this many images are read (the demo holds them in memory and fine-tunes on all of them). */
export const MAX_IMAGES = 256;

/** Preprocessing presets offered on the page (those of @bonsai/datasets). */
export const PREPROCESS_PRESETS = ['[0,1]', '[-1,1]', 'imagenet'] as const;

/** Images as the model's training and evaluation tensors, and what the page says about them. */
export interface ImageData {
  train: Tensors;
  test: Tensors;
  summary: DataSummary;
}

/**
 * The file as a blob named by `path` (its path below the picked or dropped folder), which is how
 * @bonsai/datasets finds class folders: a `File`'s own `webkitRelativePath` is read-only and empty
 * for dropped files.
 */
export function withPath(file: File, path: string): NamedBlob {
  return Object.assign(file.slice(0, file.size, file.type), { name: file.name, webkitRelativePath: path });
}

/**
 * Reads picked images (a folder with class subfolders, or loose images) with the browser entry
 * of @bonsai/datasets at the model's input size and channels. When the class folders match the
 * model's outputs in number, they are labels and accuracy is measured; otherwise the original
 * model's top-1 class is the target and the page reports agreement with it. With 40 images or
 * more, a seeded fifth is held out for evaluation; fewer are used for both (and the page says so).
 */
export async function readImages(files: readonly NamedBlob[], model: Model, inputShape: readonly number[], classes: number, preprocess: string, onProgress: (done: number, total: number) => void): Promise<ImageData> {
  const [h, w, c] = inputShape;
  if (inputShape.length !== 3 || (c !== 1 && c !== 3)) throw new ConfigError(`images need a model input of [height, width, 1 or 3], this model takes [${inputShape.join(', ')}]`, { key: 'images' });
  if (!(PREPROCESS_PRESETS as readonly string[]).includes(preprocess)) throw new ConfigError(`unknown preprocessing "${preprocess}" (one of ${PREPROCESS_PRESETS.join(', ')})`, { key: 'preprocess' });
  const ds = await imageFiles(files, { size: [h!, w!], channels: c, preprocess: preprocess as Preprocess, skipUnsupported: true });
  const n = Math.min(ds.size, MAX_IMAGES);
  const used = n < ds.size ? ds.subset(Uint32Array.from({ length: n }, (_, i) => i)) : ds;
  const xs: tf.Tensor[] = [];
  const labels: number[] = [];
  for await (const b of used.batches({ batchSize: 32, shuffle: true, seed: 7 })) {
    xs.push(b.x);
    if (b.labels) labels.push(...b.labels);
    b.y?.dispose();
    onProgress(xs.reduce((a, x) => a + x.shape[0]!, 0), n);
  }
  const x = tf.concat(xs);
  tf.dispose(xs);
  const labeled = used.labeled && (used.classes?.length ?? 0) === classes;
  const y = tf.tidy(() => {
    const target = labeled ? tf.tensor1d(labels, 'int32') : tf.argMax(model.predict(x, { batchSize: 32 }), 1);
    return tf.cast(tf.oneHot(target, classes), 'float32');
  });
  const split = n >= 40;
  const cut = split ? Math.round(n * 0.8) : n;
  const part = (t: tf.Tensor, from: number, size: number): tf.Tensor => tf.slice(t, [from], [size]);
  const train = { x: part(x, 0, cut), y: part(y, 0, cut) };
  const test = split ? { x: part(x, cut, n - cut), y: part(y, cut, n - cut) } : { x: tf.clone(x), y: tf.clone(y) };
  tf.dispose([x, y]);
  const what = labeled ? `${used.classes!.length} class folders as labels: accuracy` : used.labeled ? `${used.classes!.length} class folders, but the model has ${classes} outputs: agreement with the original model's top-1 class` : 'no class folders: agreement with the original model\'s top-1 class';
  const note = `${n} image${n === 1 ? '' : 's'}${n < ds.size ? ` (the first ${n} of ${ds.size})` : ''} at ${h}x${w}x${c}, ${preprocess}; ${what}; ${split ? `${cut} to fine-tune, ${n - cut} held out to measure` : 'the same images fine-tune and measure (fewer than 40)'}`;
  return {
    train,
    test,
    summary: { kind: 'images', trainCount: cut, evalCount: split ? n - cut : n, labeled, ...(used.classes ? { classes: used.classes } : {}), note },
  };
}
