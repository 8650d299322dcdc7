import { load, readJson, type Model } from '@bonsai/core';
import { loadQuantized } from '@bonsai/quantize';
import { importLayersModel } from '@bonsai/interop';
import { concatNet, lenet5, mlp300100, mobileNet, resnet20, resnet56, smallCnn, tinyVit, vggNet } from '@bonsai/models';
import { isAbsolute, join, resolve } from 'node:path';
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
    case 'tinyVit':
      return tinyVit(base);
  }
}

/** Resolves `p` against `cwd` unless absolute. */
export function resolvePath(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/** Materializes a recipe's model source: a zoo builder, a saved Bonsai model or a tfjs LayersModel folder. */
export async function loadModelSource(src: ModelSource, ctx: { cwd: string; seed: number; imageShape: number[]; numClasses: number }): Promise<Model> {
  if (src.zoo !== undefined) {
    const o = src.options ?? {};
    return zooModel(src.zoo, { ...o, seed: o.seed ?? ctx.seed, inputShape: ctx.imageShape, numClasses: ctx.numClasses });
  }
  if (src.load !== undefined) return loadSaved(resolvePath(ctx.cwd, src.load));
  return importLayersModel(resolvePath(ctx.cwd, src.import!), { seed: ctx.seed });
}

/** Loads a folder written by `save` or by `saveQuantized` (model.json with a `quantization` entry). */
export async function loadSaved(dir: string): Promise<Model> {
  let quantized = false;
  try {
    const json = await readJson(join(dir, 'model.json'));
    quantized = typeof json === 'object' && json !== null && 'quantization' in json;
  } catch {
    // Let core's load report the problem with its typed error.
  }
  return quantized ? loadQuantized(dir) : load(dir);
}
