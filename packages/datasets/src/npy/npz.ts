import { unzipSync } from 'fflate';
import { DatasetError } from '../errors';
import { parseNpy, type NpyArray } from './npy';

/**
 * Parses a `.npz` file (`numpy.savez` / `savez_compressed`: a zip of `.npy` members) with fflate.
 * Returns the arrays keyed by member name without `.npy`.
 * @param name names the file in errors
 * @throws DatasetError when it is not a zip or a member is not a valid `.npy`.
 */
export function parseNpz(bytes: Uint8Array, name = 'arrays.npz'): Map<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (cause) {
    throw new DatasetError(`not a valid .npz (zip) file: ${cause instanceof Error ? cause.message : String(cause)}`, name);
  }
  const arrays = new Map<string, NpyArray>();
  for (const [member, data] of Object.entries(members)) {
    if (!member.endsWith('.npy')) continue;
    arrays.set(member.slice(0, -4), parseNpy(data, `${name}/${member}`));
  }
  if (arrays.size === 0) throw new DatasetError('the .npz holds no .npy arrays', name);
  return arrays;
}
