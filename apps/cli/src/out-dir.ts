import { IoError } from '@bonsai/core';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RecipeError } from './errors';
import type { ModelFormat } from './model-format';
import { resolvePath } from './model-source';
import type { Recipe } from './recipe';

/**
 * Checks that `dir` can be written without creating anything: it is a writable folder, or it does
 * not exist and its nearest existing ancestor is a writable folder.
 * @throws IoError naming `shown` (ENOTDIR when a file is in the way, EACCES when not writable).
 */
export async function checkWritable(dir: string, shown = dir): Promise<void> {
  let p = dir;
  for (;;) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file is in the way further up; keep walking to name it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new IoError('cannot check the output folder', { path: shown, reason: code, cause: e });
      const up = dirname(p);
      if (up === p) throw new IoError('cannot create the output folder: no existing parent folder', { path: shown, reason: code });
      p = up;
      continue;
    }
    if (!s.isDirectory()) {
      throw new IoError(p === dir ? 'the output path is a file, not a folder' : `cannot create the output folder: "${p}" is a file`, { path: shown, reason: 'ENOTDIR' });
    }
    try {
      await access(p, constants.W_OK | constants.X_OK);
    } catch (e) {
      throw new IoError(`cannot write the output folder${p === dir ? '' : ` (its parent "${p}" is not writable)`}`, { path: shown, reason: (e as NodeJS.ErrnoException).code, cause: e });
    }
    return;
  }
}

/** The format `output` is written in: the recipe's `outputFormat`, `same` = the model's own. */
export function outputFormat(recipe: Recipe, source: ModelFormat): ModelFormat {
  const f = recipe.outputFormat === 'same' ? source : recipe.outputFormat;
  return f === 'bonsai-int8' ? 'bonsai' : f;
}

/**
 * Everything about the outputs that can fail, checked before any work: the output format can be
 * written (and takes `outputWeights`), and every output folder (`output`, `save` and `export`
 * steps) is writable.
 * @throws RecipeError for an impossible output; IoError for an unwritable folder.
 */
export async function checkOutputs(recipe: Recipe, cwd: string, source: ModelFormat): Promise<void> {
  if (recipe.output) {
    const f = outputFormat(recipe, source);
    if (recipe.outputWeights && f === 'bonsai') {
      throw new RecipeError(`"${recipe.outputWeights}" weights are a tfjs weight encoding; a Bonsai folder stores float32 or (with a quantize step) int8`, 'outputWeights');
    }
  }
  const dirs = [
    ...(recipe.output ? [recipe.output] : []),
    ...recipe.steps.flatMap((s) => (s.type === 'save' ? [s.path] : s.type === 'export' ? [s.output] : [])),
  ];
  for (const d of dirs) await checkWritable(resolvePath(cwd, d), d);
}
