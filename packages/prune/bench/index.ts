// `pnpm bench`: real-MNIST pruning results of @bonsai/prune (built packages; run
// `pnpm --filter @bonsai/prune... build` and `pnpm --filter @bonsai/models... build` first).
import { initBackend } from '@bonsai/core';
import { runLenetAgp } from './lenet-agp';

async function runStructured(): Promise<void> {
  let mod: { runStructuredBench?: () => unknown } | undefined;
  try {
    mod = (await import(/* @vite-ignore */ './structured' + '.js')) as { runStructuredBench?: () => unknown };
  } catch (e) {
    console.log(`\n(structured bench skipped: bench/structured.ts could not be loaded: ${(e as Error).message.split('\n')[0]})`);
    return;
  }
  if (typeof mod?.runStructuredBench !== 'function') {
    console.log('\n(structured bench: bench/structured.ts does not export runStructuredBench() yet; skipped)');
    return;
  }
  await mod.runStructuredBench();
}

async function main(): Promise<void> {
  const info = await initBackend('wasm');
  console.log(`# @bonsai/prune bench (backend ${info.name}, simd ${info.simd}, threads ${info.threads})`);
  await runLenetAgp();
  await runStructured();
}

await main();
