// `pnpm bench`: @bonsai/prune results (built packages; run `pnpm --filter @bonsai/prune... build`
// and `pnpm --filter @bonsai/models... build` first): the ResNet-50 prune step, LeNet-300-100
// gradual magnitude pruning, structured pruning on real MNIST. Any failure fails the bench.
// PRUNE_BENCH_ONLY=step|agp|structured runs one part.
import { initBackend } from '@bonsai/core';
import { runLenetAgp } from './lenet-agp';
import { runStepBench } from './step';
import { runStructuredBench } from './structured';
import { runVitBench } from './vit';

const only = process.env.PRUNE_BENCH_ONLY;
const info = await initBackend('wasm');
console.log(`# @bonsai/prune bench (backend ${info.name}, simd ${info.simd}, threads ${info.threads})\n`);
if (!only || only === 'step') await runStepBench();
if (!only || only === 'agp') await runLenetAgp();
if (!only || only === 'structured') await runStructuredBench();
if (!only || only === 'vit') await runVitBench();
if (!only || only === 'vit') await (await import('./vit-torch')).runVitTorchBench();
if (!only || only === 'sparsity') await (await import('./sparsity')).runSparsityBench();
