/**
 * Loads the built packages the bench runs on. @bonsai/models and @bonsai/datasets depend on
 * @bonsai/core, so they cannot be its dependencies; their built dist/ (and core's own) are
 * imported by path at run time, which gives one shared instance of core (models' `@bonsai/core`
 * link resolves to the same packages/core/dist/index.js). Types come from core's src and small
 * local interfaces, so `tsc` of core does not need any dist/. Build first:
 * `pnpm --filter @bonsai/models... --filter @bonsai/datasets... build`.
 */
import type * as CoreModule from '../src/index';

/** @bonsai/core's public API (types from src, values from dist). */
export type Core = typeof CoreModule;
/** A Bonsai model. */
export type Model = CoreModule.Model;

/** The two builders of @bonsai/models the bench uses. */
export interface Models {
  smallCnn(o?: { widths?: readonly number[]; hidden?: number; dropout?: number; seed?: number }): Model;
  mlp300100(o?: { hidden?: readonly number[]; seed?: number }): Model;
}

/** A split of @bonsai/datasets' MNIST. */
export interface Split {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** The parts of @bonsai/datasets the bench uses. */
export interface Datasets {
  loadMnist(o?: { seed?: number; trainSize?: number; testSize?: number }): { train: Split; test: Split };
}

async function importDist<T>(pkg: string): Promise<T> {
  const url = new URL(`../../${pkg}/dist/index.js`, import.meta.url).href;
  try {
    return (await import(url)) as T;
  } catch (e) {
    throw new Error(`Cannot load the built @bonsai/${pkg} (${url}): run \`pnpm --filter @bonsai/${pkg}... build\` first. ${(e as Error).message}`);
  }
}

/** Imports built core, models and datasets. */
export async function loadDeps(): Promise<{ core: Core; models: Models; datasets: Datasets }> {
  const core = await importDist<Core>('core');
  const models = await importDist<Models>('models');
  const datasets = await importDist<Datasets>('datasets');
  return { core, models, datasets };
}
