/**
 * The Chromium page of bench/int8-kernels.ts (bundled by esbuild, served from a fake origin):
 * tfjs-backend-wasm (SIMD, one thread: the page is not cross-origin isolated) against the int8
 * kernels, timed by performance.now. Relaxed SIMD runs with both relaxed GEMMs when available.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '@bonsai/core';
import { loadInt8Kernels, relaxedSimdSupported, type RelaxedGemm } from '@bonsai/int8-kernels';
import { int8BenchSpecs, measureInt8, type Int8BenchRow } from './int8-measure';

/** What the Node side asks for. */
export interface PageParams {
  batches: number[];
  runs: number;
  /** Model filter (see int8BenchSpecs). */
  models?: string;
}

async function runBench(p: PageParams): Promise<{ rows: Int8BenchRow[]; log: string[]; userAgent: string }> {
  setWasmPaths(`${location.origin}/tfjs/`);
  await initBackend('wasm');
  const log: string[] = [];
  // Chromium started with --js-flags=--expose-gc.
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  if (!gc) throw new Error('int8 bench page: globalThis.gc missing (launch Chromium with --js-flags=--expose-gc)');
  const rows: Int8BenchRow[] = [];
  const builds: Array<{ variant: 'simd128' | 'relaxed'; relaxedGemm?: RelaxedGemm }> = [{ variant: 'simd128' }];
  if (relaxedSimdSupported()) builds.push({ variant: 'relaxed', relaxedGemm: 'dot-add' }, { variant: 'relaxed', relaxedGemm: 'dot-i16' });
  for (const b of builds) {
    const kernels = await loadInt8Kernels(b.relaxedGemm ? { variant: b.variant, relaxedGemm: b.relaxedGemm } : { variant: b.variant });
    rows.push(...measureInt8({ kernels, specs: int8BenchSpecs(false, p.models), batches: p.batches, runs: p.runs, clocks: { wall: () => performance.now() }, gc, log: (l) => log.push(l) }));
  }
  return { rows, log, userAgent: navigator.userAgent };
}

(globalThis as unknown as { runBench: typeof runBench }).runBench = runBench;
