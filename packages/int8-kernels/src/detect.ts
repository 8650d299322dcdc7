/** A module of one function returning `op` applied to `operands` zero v128 constants. */
function probe(op: readonly number[], operands: number): Uint8Array<ArrayBuffer> {
  const vconst = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...new Array<number[]>(operands).fill(vconst).flat(), ...op, 0x0b];
  // magic, version; type section: () -> v128; function section; code section.
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 0x0a, body.length + 2, 1, body.length, ...body]);
}

/** True when the engine validates `i32x4.dot_i16x8_s` (WebAssembly SIMD128). */
export function simd128Supported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe([0xfd, 0xba, 0x01], 2));
}

/**
 * True when the engine validates `i32x4.relaxed_dot_i8x16_i7x16_add_s` (relaxed SIMD: Chromium
 * 114+, Node 20 with `--experimental-wasm-relaxed-simd`).
 */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe([0xfd, 0x93, 0x02], 3));
}
