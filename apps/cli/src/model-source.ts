import type { Model } from '@bonsai/core';
import { concatNet, lenet5, mlp300100, mobileNet, resnet20, resnet56, smallCnn, vggNet, vit } from '@bonsai/models';
import { isAbsolute, resolve } from 'node:path';
import { loadLocated, locateModel, type ModelFormat, type ModelLocation } from './model-format';
import type { ModelSource } from './recipe';

/** Zoo builder options a recipe may pass. */
export interface ZooOptions {
  widths?: number[];
  hidden?: number;
  dropout?: number;
  seed?: number;
  bnMomentum?: number;
  inputShape?: number[];
  numClasses?: number;
}

/** Builds a zoo model by name. */
export function zooModel(name: NonNullable<ModelSource['zoo']>, o: ZooOptions): Model {
  const base = { inputShape: o.inputShape, numClasses: o.numClasses, seed: o.seed, bnMomentum: o.bnMomentum };
  switch (name) {
    case 'mlp300100':
      return mlp300100(base);
    case 'lenet5':
      return lenet5(base);
    case 'smallCnn':
      return smallCnn({ ...base, widths: o.widths, hidden: o.hidden, dropout: o.dropout });
    case 'vggNet':
      return vggNet(base);
    case 'resnet20':
      return resnet20(base);
    case 'resnet56':
      return resnet56(base);
    case 'mobileNet':
      return mobileNet({ ...base, widths: o.widths });
    case 'concatNet':
      return concatNet(base);
    case 'vit':
      return vit(base);
  }
}

/** Resolves `p` against `cwd` unless absolute. */
export function resolvePath(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/** A model with where it came from: the format it is written back in, and its row label. */
export interface SourcedModel {
  model: Model;
  /** Format of the source (`bonsai` for zoo builds). */
  format: ModelFormat;
  /** Located files, when the model was read from disk. */
  location?: ModelLocation;
  /** Row label before any compression: `dense` for a zoo build, `input model` for a loaded one. */
  label: string;
}

/** Materializes a recipe's model source: a zoo builder, or a saved Bonsai / tfjs LayersModel / GraphModel folder. */
export async function loadModelSource(src: ModelSource, ctx: { cwd: string; seed: number; imageShape: number[]; numClasses: number }): Promise<Model> {
  if (src.zoo !== undefined) return buildZoo(src, ctx);
  return (await readModelSource(src, ctx)).model;
}

/** Builds a zoo model source for the data's sample shape and class count. */
export function buildZoo(src: ModelSource, ctx: { seed: number; imageShape: number[]; numClasses: number }): Model {
  const o = src.options ?? {};
  return zooModel(src.zoo!, { ...o, seed: o.seed ?? ctx.seed, inputShape: ctx.imageShape, numClasses: ctx.numClasses });
}

/** Reads a `load` / `import` model source from disk, detecting its format. */
export async function readModelSource(src: ModelSource, ctx: { cwd: string; seed: number }): Promise<SourcedModel> {
  const given = (src.load ?? src.import)!;
  const location = await locateModel(resolvePath(ctx.cwd, given), given);
  const model = await loadLocated(location, ctx.seed);
  const stage = typeof location.json.stage === 'string' && location.json.stage !== 'dense' ? ` (${location.json.stage})` : '';
  return { model, format: location.format, location, label: `input model${stage}` };
}

/** Loads a folder written by `save` or `saveQuantized`, or a tfjs LayersModel / GraphModel (model.json or its folder). */
export async function loadSaved(dir: string): Promise<Model> {
  return loadLocated(await locateModel(dir));
}
