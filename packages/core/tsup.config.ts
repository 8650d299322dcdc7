import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Never bundle tfjs: apps bring one tfjs-core (peer dependency); core registers its gradients against it.
  external: [/^@tensorflow\//],
});
