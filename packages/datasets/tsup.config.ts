import { defineConfig } from 'tsup';

export default defineConfig({
  // pixel-worker.js sits beside index.js: the worker pool loads it by URL
  entry: { index: 'src/index.ts', browser: 'src/browser.ts', 'pixel-worker': 'src/node/pixel-worker.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // optional dependency: resolved at run time, never bundled
  external: ['sharp'],
});
