/**
 * Registers tfjs-core's gradient functions. tfjs-core alone registers none, and its
 * `register_all_gradients` module cannot be imported from plain Node ESM (extensionless inner
 * imports), so the build bundles it into @bonsai/core's dist (see tsup.config.ts); under
 * bundlers and vitest the import resolves directly. Gradients live in tfjs's global registry,
 * so they reach the app's single tfjs-core instance either way.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
