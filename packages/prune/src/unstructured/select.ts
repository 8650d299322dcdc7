/** Indices `i` with `mask[i] !== 0` (all indices when there is no mask). */
export function unprunedIndices(mask: Float32Array | undefined, size: number): Uint32Array {
  if (!mask) {
    const all = new Uint32Array(size);
    for (let i = 0; i < size; i++) all[i] = i;
    return all;
  }
  let n = 0;
  for (let i = 0; i < size; i++) if (mask[i] !== 0) n++;
  const out = new Uint32Array(n);
  let j = 0;
  for (let i = 0; i < size; i++) if (mask[i] !== 0) out[j++] = i;
  return out;
}
