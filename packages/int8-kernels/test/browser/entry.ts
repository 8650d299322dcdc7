/**
 * The Chromium page of test/chromium.test.ts (bundled by esbuild): probes the engine's
 * accumulating relaxed dot against exact integers and runs a subset of the bit-exactness cases on
 * the SIMD128 build and on the relaxed build with each of its two GEMMs, batch matmul and attention included (.wasm fetched from the
 * default URLs).
 */
import { dotAddExact, instantiateKernels, loadInt8Kernels, relaxedSimdSupported, type KernelVariant, type RelaxedGemm } from '../../src/index';
import { conv2dCases, depthwiseCases, pointwiseCases } from '../cases';
import { attentionCases, batchMatMulCases } from '../matmul-cases';

/** What the page reports for one build. */
export interface VariantResult {
  variant: KernelVariant;
  relaxedGemm?: RelaxedGemm;
  cases: number;
  outputs: number;
  mismatches: string[];
}

/** What the page reports. */
export interface PageResult {
  relaxed: boolean;
  /** i32x4.relaxed_dot_i8x16_i7x16_add_s computes exact integers (the loader's probe). */
  dotAddExact?: boolean;
  /** The relaxed GEMM `'auto'` picked (by a timing at load). */
  autoGemm?: RelaxedGemm;
  results: VariantResult[];
}

async function runCases(): Promise<PageResult> {
  const relaxed = relaxedSimdSupported();
  const out: PageResult = { relaxed, results: [] };
  if (relaxed) {
    out.dotAddExact = dotAddExact((await instantiateKernels({ variant: 'relaxed' })).exports);
    out.autoGemm = (await loadInt8Kernels({ variant: 'relaxed' })).relaxedGemm;
  }
  const cases = [...conv2dCases(11, 16), ...pointwiseCases(12, 6), ...depthwiseCases(13, 12)];
  const matmulCases = [...batchMatMulCases(14, 10), ...attentionCases(15, 6)];
  const builds = relaxed ? (['simd128', 'relaxed-add', 'relaxed-i16'] as const) : (['simd128'] as const);
  for (const build of builds) {
    const variant = build === 'simd128' ? 'simd128' : 'relaxed';
    // The .wasm is fetched from its default URL next to the bundle.
    const k = await loadInt8Kernels({ variant, relaxedGemm: build === 'relaxed-i16' ? 'dot-i16' : build === 'relaxed-add' ? 'dot-add' : 'auto' });
    const r: VariantResult = { variant, ...(k.relaxedGemm ? { relaxedGemm: k.relaxedGemm } : {}), cases: 0, outputs: 0, mismatches: [] };
    for (const c of cases) {
      const got = c.build(k).run(c.x).data;
      r.cases++;
      r.outputs += got.length;
      if (got.length !== c.want.length || got.some((v, i) => v !== c.want[i])) r.mismatches.push(c.label);
    }
    for (const c of matmulCases) {
      const got = c.run(k);
      r.cases++;
      r.outputs += got.length;
      if (got.length !== c.want.length || got.some((v, i) => v !== c.want[i])) r.mismatches.push(c.label);
    }
    out.results.push(r);
  }
  return out;
}

(globalThis as unknown as { runCases: typeof runCases }).runCases = runCases;
