// The sparsity bench alone (`npx tsx bench/sparsity-run.ts`; PRUNE_SPARSITY_ONLY=LeNet-300|LeNet-5|small for one model),
// without bench/index.ts's other parts. Prints CPU and wall time.
import { initBackend } from '@bonsai/core';
import { runSparsityBench } from './sparsity';

const info = await initBackend('wasm');
console.log(`# @bonsai/prune sparsity bench (backend ${info.name}, simd ${info.simd}, threads ${info.threads})\n`);
const c0 = process.cpuUsage();
const t0 = performance.now();
await runSparsityBench();
const c = process.cpuUsage(c0);
console.log(`sparsity bench: cpu ${((c.user + c.system) / 1e6).toFixed(0)} s, wall ${((performance.now() - t0) / 1000).toFixed(0)} s`);
