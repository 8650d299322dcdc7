import { ConfigError, writeFilesAtomic } from '@bonsai/core';

/** What an export wrote: file names and sizes. */
export interface WrittenModel {
  files: string[];
  modelJsonBytes: number;
  weightBytes: number;
}

/** The weights file name of an export (default `weights.bin`); a path or hidden name is a ConfigError naming `fn`. */
export function weightsFileName(fn: string, modelFile: string, weightsFile = 'weights.bin'): string {
  if (!/^[-A-Za-z0-9._]+$/.test(weightsFile) || weightsFile === modelFile || weightsFile.startsWith('.')) {
    throw new ConfigError(`${fn}: "weightsFile" must be a plain file name, got ${JSON.stringify(weightsFile)}`, { key: 'weightsFile' });
  }
  return weightsFile;
}

/** Writes `model.json` + one weights file to `dir` as a whole (core's atomic folder replacement). */
export async function writeModelFolder(dir: string, modelFile: string, weightsFile: string, art: { modelJson: unknown; weights: ArrayBuffer }): Promise<WrittenModel> {
  const text = JSON.stringify(art.modelJson);
  await writeFilesAtomic(dir, [
    { name: weightsFile, data: new Uint8Array(art.weights) },
    { name: modelFile, data: text },
  ]);
  return { files: [modelFile, weightsFile], modelJsonBytes: new TextEncoder().encode(text).byteLength, weightBytes: art.weights.byteLength };
}
