/**
 * How a model's inputs were preprocessed, recorded in its model.json so that the next tool that
 * reads the model (the next `bonsai compress`, an app) feeds it pixels the same way. Stored under
 * `userDefinedMetadata.bonsai.preprocess`, a field stock tfjs loaders keep and ignore.
 */

/** Key under `userDefinedMetadata` that holds Bonsai's metadata. */
export const BONSAI_METADATA_KEY = 'bonsai';

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The preprocessing recorded in a parsed model.json (`userDefinedMetadata.bonsai.preprocess`), or
 * undefined when none is (or it is not a string). The value is not checked against any list:
 * callers validate it against the presets they know.
 */
export function readPreprocessing(modelJson: unknown): string | undefined {
  const p = record(record(record(modelJson)?.userDefinedMetadata)?.[BONSAI_METADATA_KEY])?.preprocess;
  return typeof p === 'string' ? p : undefined;
}

/**
 * A copy of `modelJson` with `preprocess` recorded under `userDefinedMetadata.bonsai` (other
 * metadata, e.g. a converter's `signature`, is kept); `modelJson` itself when `preprocess` is undefined.
 */
export function withPreprocessing<T extends object>(modelJson: T, preprocess: string | undefined): T {
  if (preprocess === undefined) return modelJson;
  const udm = record((modelJson as Record<string, unknown>).userDefinedMetadata) ?? {};
  const bonsai = record(udm[BONSAI_METADATA_KEY]) ?? {};
  return { ...modelJson, userDefinedMetadata: { ...udm, [BONSAI_METADATA_KEY]: { ...bonsai, preprocess } } };
}
