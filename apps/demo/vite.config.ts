import { defineConfig } from 'vite';
import { bonsaiAliases } from '@bonsai/vitest-config';
import { mnistAsset } from './plugins/mnist-asset';

/**
 * @bonsai/* resolve to each package's src/index.ts (no package build needed for the page);
 * the MNIST digits are packed at build/dev time by the mnist-asset plugin.
 */
export default defineConfig({
  base: './',
  resolve: { alias: bonsaiAliases(), dedupe: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'] },
  plugins: [mnistAsset()],
  worker: { format: 'es' },
  build: { target: 'es2022', minify: false, chunkSizeWarningLimit: 4000 },
  // Dev server: pre-bundle the worker's deps at start-up (the scanner does not follow `new Worker(new URL(...))`),
  // otherwise a late re-optimization reloads the page while tfjs initializes.
  optimizeDeps: { entries: ['index.html', 'src/worker.ts'] },
});
