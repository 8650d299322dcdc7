/**
 * What five changes to a training step save, measured in one process with the variants
 * interleaved (CPU time per step): the wasm backend's copying Identity kernel (tfjs saves every
 * tensor a gradient needs as an Identity) against core's shared one, a first conv that
 * computes its input gradient (`run({ inputGrads: true })`) against one that skips it (what
 * `trainStep` does), conv filter gradients from tfjs ops against core's SIMD heap kernel
 * (`setSimdFilterGrad`), and XNNPACK forward / input-gradient convs against core's SIMD conv
 * kernel (`setSimdConv`), and that direct kernel against Winograd F(2x2, 3x3) for the 3x3 stride-1
 * convs (`setWinograd`). Same model, batch and optimizer throughout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { interleave, ms, pick, ratio, spread, type Report } from '@bonsai/bench-harness';
import { withBonsaiGradients } from './bonsai-gradients';
import type { Core, Models } from './deps';

/** wasm's own Identity: a copy of the input (tfjs-backend-wasm 4.22 `identity`). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
const copyingIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  const b = backend as unknown as HeapBackend;
  const out = b.makeOutput(x.shape, x.dtype);
  b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(x));
  return out;
};

function setIdentity(kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc });
}

/** Interleaved CPU ms per batch-64 training step of smallCnn `widths`: before, each change alone, both. */
export async function stepSavingsSection(core: Core, models: Models, report: Report, nets: ReadonlyArray<{ name: string; widths: readonly number[] }>): Promise<void> {
  await core.initBackend('wasm');
  const shared = tf.getKernel(tf.Identity, 'wasm')!.kernelFunc;
  const batch = pick(64, 8);
  const runs = pick(9, 2);
  const rows: Array<Array<string | number>> = [];
  for (const net of nets) {
    const model = models.smallCnn({ widths: net.widths, hidden: 128, dropout: 0.2 });
    const opt = core.adam({ lr: 1e-3 });
    const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
    const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10), 'float32'));
    const params = model.trainableParams();
    const step = (identity: tf.KernelFunc, inputGrads: boolean, simdFilterGrad: boolean, simdConv: boolean, winograd = false) => () => {
      setIdentity(identity);
      core.setSimdFilterGrad(simdFilterGrad);
      core.setSimdConv(simdConv);
      core.setWinograd(winograd);
      const { value, grads } = tf.variableGrads(() => core.crossEntropy(model.run(x, { training: true, inputGrads }).output, y), params.map((p) => p.value));
      opt.step(params, Object.fromEntries(params.map((p) => [p.name, grads[p.value.name]!])));
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    };
    try {
      const t = await withBonsaiGradients(core, () => interleave({
        before: step(copyingIdentity, true, false, false),
        sharedIdentity: step(shared, true, false, false),
        noInputGrad: step(copyingIdentity, false, false, false),
        both: step(shared, false, false, false),
        simdFilterGrad: step(shared, false, true, false),
        simdConv: step(shared, false, true, true),
        now: step(shared, false, true, true, true),
      }, { warmup: 1, runs, clock: 'cpu' }));
      const v = t.variants;
      rows.push([net.name, batch, ms(v.before.median), ms(v.sharedIdentity.median), ms(v.noInputGrad.median), ms(v.both.median), ms(v.simdFilterGrad.median), ms(v.simdConv.median), ms(v.now.median),
        spread(t.ratio('both', 'simdFilterGrad'), ratio), spread(t.ratio('simdFilterGrad', 'simdConv'), ratio), spread(t.ratio('simdConv', 'now'), ratio), spread(t.ratio('before', 'now'), ratio)]);
    } finally {
      setIdentity(shared);
      core.setSimdFilterGrad(true);
      core.setSimdConv(true);
      core.setWinograd(true);
      tf.dispose([x, y]);
      opt.dispose();
      model.dispose();
    }
  }
  report.table('training-step', {
    title: `Training step savings (CPU ms per step, median of ${runs}, variants interleaved)`,
    columns: ['model', 'batch', 'before', 'shared Identity', 'no input gradient for data', 'both', '+ SIMD filter gradient', '+ SIMD conv', '+ Winograd 3x3 (now)', 'both ÷ SIMD filter gradient (IQR)', 'SIMD filter gradient ÷ SIMD conv (IQR)', 'SIMD conv ÷ now (IQR)', 'before ÷ now (IQR)'],
    rows,
    note: "before = wasm's copying Identity, a first conv that computes its input gradient, conv filter gradients from tfjs ops (an XNNPACK conv with the channels as the batch, im2col + MatMul for the first conv) and XNNPACK forward / input-gradient convs; + SIMD filter gradient = both, with filter gradients by core's WebAssembly SIMD kernel on the wasm heap; + SIMD conv = that, with the forward convs and the input gradients' correlations by core's direct SIMD conv kernel as well; now = that, with the 3x3 stride-1 convs over >= 8 channels as Winograd F(2x2, 3x3). CPU time of this process (user + system): on a loaded machine it still grows with contention, the ratios hold.",
  });
}
