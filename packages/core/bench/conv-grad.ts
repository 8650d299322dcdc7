/**
 * Informational: forward + backward time of one conv layer (dx and dfilter) with core's trainable
 * conv (tf.customGrad, wasm-capable) and with tfjs's native conv gradient kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Core } from './deps';
import { interleave, median, ms, pick, ratio, since, spread, type Report } from '@bonsai/bench-harness';

/** One conv layer to time: NHWC input and a 3x3 'same' filter. */
export interface ConvCase {
  name: string;
  batch: number;
  hw: number;
  cin: number;
  cout: number;
}

/** Median ms of forward + backward, or the error when the backend cannot run it. */
export function timeConvGrad(core: Core, c: ConvCase, impl: 'core' | 'native', o: { warmup: number; runs: number }): number | string {
  const x = tf.randomUniform([c.batch, c.hw, c.hw, c.cin], 0, 1, 'float32', 1) as tf.Tensor4D;
  const f = tf.randomUniform([3, 3, c.cin, c.cout], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomUniform([c.batch, c.hw, c.hw, c.cout], -1, 1, 'float32', 3);
  const conv = impl === 'core'
    ? (a: tf.Tensor, b: tf.Tensor) => core.trainableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { strides: [1, 1], pad: 'same' })
    : (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same');
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a, b));
  const once = (): number => {
    const t0 = performance.now();
    const [dx, df] = g([x, f], dy);
    dx!.dataSync();
    df!.dataSync();
    const ms = since(t0);
    tf.dispose([dx!, df!]);
    return ms;
  };
  try {
    for (let i = 0; i < o.warmup; i++) once();
    const times: number[] = [];
    for (let i = 0; i < o.runs; i++) times.push(once());
    return median(times);
  } catch (e) {
    return String((e as Error).message).split('\n')[0]!.slice(0, 80);
  } finally {
    tf.dispose([x, f, dy]);
  }
}

/**
 * Forward vs forward + backward of core's trainable conv on one batch-64 layer
 * (x[64,28,28,16] * f[3,3,16,32], same, stride 1) on wasm, interleaved (moved here from core's
 * kernel tests, where it was an information-only timing).
 */
export async function convKernelSection(core: Core, report: Report): Promise<void> {
  await core.initBackend('wasm');
  const batch = pick(64, 4);
  const x = tf.randomUniform([batch, 28, 28, 16], -1, 1, 'float32', 31) as tf.Tensor4D;
  const f = tf.randomUniform([3, 3, 16, 32], -1, 1, 'float32', 32) as tf.Tensor4D;
  const dy = tf.randomUniform([batch, 28, 28, 32], -1, 1, 'float32', 33);
  const o = { strides: [1, 1] as [number, number], pad: 'same' as const };
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(core.trainableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, o), dy)));
  const runs = pick(9, 2);
  const t = await interleave({
    forward: () => tf.tidy(() => void core.trainableConv2d(x, f, o).dataSync()),
    backward: () => tf.tidy(() => {
      const [gx, gf] = g([x, f]);
      gx!.dataSync();
      gf!.dataSync();
    }),
  }, { warmup: 2, runs });
  tf.dispose([x, f, dy]);
  report.table('conv-kernel', {
    title: `Core conv kernel on wasm: x[${batch},28,28,16] * f[3,3,16,32], same, stride 1 (median of ${runs}, interleaved)`,
    columns: ['pass', 'ms'],
    rows: [['forward', ms(t.variants.forward.median)], ['forward + backward (dx, dfilter)', ms(t.variants.backward.median)]],
  });
}

/** The 3x3 'same' conv layers of smallCnn 16-32 and 32-64 at batch 64 (hw, cin, cout). */
const SMALL_CNN_LAYERS: ReadonlyArray<readonly [number, number, number]> = [
  [28, 1, 16], [28, 16, 16], [14, 16, 32], [14, 32, 32], [28, 1, 32], [28, 32, 32], [14, 32, 64], [14, 64, 64],
];

/**
 * Conv filter gradient alone (dL/dfilter, no input gradient) of each smallCnn layer at batch 64:
 * tfjs ops (an XNNPACK conv with channels as the batch, or im2col + MatMul for cin 1), core's
 * direct SIMD heap kernel and core now (Winograd F(2x2, 3x3) where it fits, `setWinograd`), CPU
 * time, interleaved.
 */
export async function filterGradSection(core: Core, report: Report): Promise<void> {
  await core.initBackend('wasm');
  const batch = pick(64, 4);
  const runs = pick(9, 2);
  const rows: Array<Array<string | number>> = [];
  for (const [hw, cin, cout] of SMALL_CNN_LAYERS.slice(0, pick(SMALL_CNN_LAYERS.length, 2))) {
    const x = tf.randomUniform([batch, hw, hw, cin], -1, 1, 'float32', 41) as tf.Tensor4D;
    const f = tf.randomUniform([3, 3, cin, cout], -1, 1, 'float32', 42) as tf.Tensor4D;
    const dy = tf.randomUniform([batch, hw, hw, cout], -1, 1, 'float32', 43);
    const g = tf.grad((b: tf.Tensor) => core.trainableConv2d(x, b as tf.Tensor4D, { strides: [1, 1], pad: 'same', inputGrad: false }));
    const once = (simd: boolean, winograd: boolean) => () => {
      core.setSimdFilterGrad(simd);
      core.setWinograd(winograd);
      const r = g(f, dy);
      r.dataSync();
      r.dispose();
    };
    try {
      const t = await interleave({ ops: once(false, false), direct: once(true, false), now: once(true, true) }, { warmup: 1, runs, clock: 'cpu' });
      const gflops = (2 * batch * hw * hw * cin * cout * 9) / 1e6 / t.variants.now.median;
      rows.push([`${hw}x${hw} ${cin}->${cout}`, ms(t.variants.ops.median), ms(t.variants.direct.median), ms(t.variants.now.median),
        spread(t.ratio('ops', 'now'), ratio), spread(t.ratio('direct', 'now'), ratio), gflops.toFixed(1)]);
    } finally {
      core.setSimdFilterGrad(true);
      core.setWinograd(true);
      tf.dispose([x, f, dy]);
    }
  }
  report.table('filter-grad', {
    title: `Conv filter gradient per smallCnn layer (3x3 same, batch ${batch}; CPU ms, median of ${runs}, interleaved)`,
    columns: ['layer (hw, cin->cout)', 'tfjs ops', 'direct SIMD kernel', 'now (Winograd where it fits)', 'ops ÷ now (IQR)', 'direct ÷ now (IQR)', 'now GFLOP/s (direct-equivalent)'],
    rows,
    note: "Each run includes the layer's forward conv that tf.grad records (core's direct SIMD conv over >= 8 input channels, XNNPACK below; in \"now\" Winograd where it fits); Winograd's filter gradient runs where cin + cout >= 48. GFLOP/s counts the direct filter gradient's 2·n·h·w·9·cin·cout flops over the whole time.",
  });
}
