import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Builds dist/*.wasm when it is missing or older than the AssemblyScript sources. */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const wasm = ['int8-simd128.wasm', 'int8-relaxed.wasm'].map((f) => `${root}dist/${f}`);
  const newest = Math.max(...readdirSync(`${root}src/assembly`).map((f) => statSync(`${root}src/assembly/${f}`).mtimeMs));
  if (wasm.every((f) => existsSync(f) && statSync(f).mtimeMs >= newest)) return;
  execFileSync(process.execPath, [`${root}scripts/build-wasm.mjs`], { stdio: 'inherit' });
}
