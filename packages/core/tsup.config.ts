import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // tfjs-core's register_all_gradients cannot be imported from plain Node ESM (extensionless
  // inner imports): bundle it. It registers into tfjs's global registry, so the app's single
  // tfjs-core instance gets the gradients.
  noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
});
