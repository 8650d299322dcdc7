// Under vitest, @bonsai/core's `import '@tensorflow/tfjs-core/dist/register_all_gradients'` is
// inlined with its own copy of tfjs-core's internal modules. If that copy loads first, its Tensor
// class becomes the global one without op handlers and BN gradients fail in Tensor.clone
// ("Cannot read properties of null (reading 'clone')"). Loading the main entry first avoids it.
import '@tensorflow/tfjs-core';
