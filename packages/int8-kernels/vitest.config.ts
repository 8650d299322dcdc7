import { fileURLToPath } from 'node:url';
import { bonsaiVitestConfig } from '@bonsai/vitest-config';

// Relaxed SIMD is behind a flag in Node 20: the test workers get it so both builds are tested
// (the SIMD128 build is selected explicitly). test/global-setup.ts builds the .wasm if missing.
export default bonsaiVitestConfig(fileURLToPath(new URL('.', import.meta.url)), {
  execArgv: ['--experimental-wasm-relaxed-simd'],
  globalSetup: ['test/global-setup.ts'],
});
