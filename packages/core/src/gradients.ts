/**
 * Registers tfjs-core's gradient functions. tfjs-core alone registers none, and its
 * `register_all_gradients` module cannot be imported from plain Node ESM (extensionless inner
 * imports), so the build bundles it into @bonsai/core's dist (see tsup.config.ts); under
 * bundlers and vitest the import resolves directly. Gradients live in tfjs's global registry,
 * so they reach the app's single tfjs-core instance either way.
 */
// Load the app's tfjs-core first: under vitest/tsx the gradient module brings its own copy of
// tfjs-core internals, which must not be the one that creates the engine.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
