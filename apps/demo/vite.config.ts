import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { bonsaiAliases } from '@bonsai/vitest-config';
import { mnistAsset } from './plugins/mnist-asset';

/**
 * Cross-origin isolation (COOP/COEP): lets the page use SharedArrayBuffer, so tfjs picks its
 * multi-threaded SIMD wasm binary. Sent by the dev and the preview server (and the e2e test's).
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;

/**
 * @bonsai/* resolve to each package's src/index.ts (no package build needed for the page), the
 * datasets browser entry to its src/browser.ts; the MNIST digits are packed at build/dev time by
 * the mnist-asset plugin. The pretrained MNIST CNN is in public/pretrained/.
 */
export default defineConfig({
  base: './',
  resolve: {
    alias: [{ find: /^@bonsai\/datasets\/browser$/, replacement: fileURLToPath(new URL('../../packages/datasets/src/browser.ts', import.meta.url)) }, ...bonsaiAliases()],
    dedupe: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'],
  },
  plugins: [mnistAsset()],
  worker: { format: 'es' },
  // minify off: with COOP/COEP a minified build is known to break tfjs's threaded wasm worker (TOOLCHAIN.md).
  build: { target: 'es2022', minify: false, chunkSizeWarningLimit: 4000 },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  // Dev server: pre-bundle the worker's deps at start-up (the scanner does not follow `new Worker(new URL(...))`),
  // otherwise a late re-optimization reloads the page while tfjs initializes.
  optimizeDeps: { entries: ['index.html', 'src/worker.ts'] },
});
