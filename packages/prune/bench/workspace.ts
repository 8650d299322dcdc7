// Loads @bonsai/models and @bonsai/datasets for the benchmark. They are not (yet) declared
// dependencies of @bonsai/prune, so when the bare import fails this falls back to the built
// workspace packages next to this one (run `pnpm --filter @bonsai/models... build` first).
import type { Model } from '@bonsai/core';
import type * as tf from '@tensorflow/tfjs-core';

/** One split of MNIST as typed arrays (the part of @bonsai/datasets' `Split` used here). */
export interface MnistSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** The parts of @bonsai/datasets used by the bench. */
export interface DatasetsApi {
  loadMnist(o?: { seed?: number; trainSize?: number; testSize?: number }): { train: MnistSplit; test: MnistSplit };
  toTensors(split: MnistSplit, o?: { flatten?: boolean }): { x: tf.Tensor; y: tf.Tensor };
}

/** The parts of @bonsai/models used by the bench. */
export interface ModelsApi {
  mlp300100(o?: { seed?: number }): Model;
}

async function importWorkspace<T>(name: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ `@bonsai/${name}`)) as T;
  } catch {
    const url = new URL(`../../${name}/dist/index.js`, import.meta.url);
    return (await import(/* @vite-ignore */ url.href)) as T;
  }
}

/** @bonsai/datasets. */
export const datasets = (): Promise<DatasetsApi> => importWorkspace<DatasetsApi>('datasets');
/** @bonsai/models. */
export const models = (): Promise<ModelsApi> => importWorkspace<ModelsApi>('models');
