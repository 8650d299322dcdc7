// Builds the two kernel modules from src/assembly with AssemblyScript (npm, no other toolchain):
// dist/int8-simd128.wasm (SIMD128 only) and dist/int8-relaxed.wasm (SIMD128 + relaxed SIMD).
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('..', import.meta.url));
await mkdir(`${root}dist`, { recursive: true });
const variants = [
  { out: 'int8-simd128.wasm', entries: ['index.ts'], features: ['--enable', 'simd'] },
  { out: 'int8-relaxed.wasm', entries: ['index.ts', 'relaxed.ts'], features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
];
for (const v of variants) {
  const { error, stderr } = await asc.main([
    ...v.entries.map((e) => `${root}src/assembly/${e}`), '--outFile', `${root}dist/${v.out}`, '-O3', '--runtime', 'stub', '--noAssert', '--initialMemory', '16',
    ...v.features,
  ]);
  if (error) {
    console.error(stderr.toString());
    throw error;
  }
}
console.log(`int8-kernels: built ${variants.map((v) => v.out).join(', ')}`);
