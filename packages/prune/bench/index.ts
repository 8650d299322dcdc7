// `pnpm bench`: @bonsai/prune results (built packages; run `pnpm --filter @bonsai/prune... build`
// and `pnpm --filter @bonsai/models... build` first): the ResNet-50 prune step, LeNet-300-100
// gradual magnitude pruning, structured pruning on real MNIST. Any failure fails the bench.
import { initBackend } from '@bonsai/core';
import { runLenetAgp } from './lenet-agp';
import { runStepBench } from './step';
import { runStructuredBench } from './structured';

const info = await initBackend('wasm');
console.log(`# @bonsai/prune bench (backend ${info.name}, simd ${info.simd}, threads ${info.threads})\n`);
await runStepBench();
await runLenetAgp();
await runStructuredBench();
