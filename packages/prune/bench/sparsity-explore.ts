// Tuning run for sparse variational dropout (not part of `pnpm bench`):
// `npx tsx bench/sparsity-explore.ts LeNet-300-100 epochs warmup lrMult ftEpochs init kl [sparsity]` (DENSE_EPOCHS overrides the
// dense epochs of the cached start; KD=T,alpha also fine-tunes a copy of the same masks with KD from the dense model).
// Prints per-epoch masked fraction and accuracy.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { kdLossSpec } from '@bonsai/distill';
import { fineTune, sparsityReport } from '@bonsai/prune';
import { accuracy } from '@bonsai/eval';
import { exploreStart, runSparseVd } from './sparsity-vd';

await initBackend('wasm');
const [name = 'LeNet-300-100', epochs = '6', warmup = '2', mult = '10', ft = '1', init = '-10', kl = '1', target = ''] = process.argv.slice(2);
const { trainT, testT, dense } = await exploreStart(name);
const denseAcc = accuracy(dense.model, testT.x, testT.y, { batchSize: 500 });
console.log(`${name} dense ${denseAcc} (${dense.cached ? 'cached' : `${dense.seconds.toFixed(0)} s`})`);
const teacher = dense.model.clone();
const t0 = performance.now();
const removed = await runSparseVd(dense.model, trainT, { epochs: Number(epochs), warmupEpochs: Number(warmup), lr: 1e-3, logSigma2LrMultiplier: Number(mult), initLogSigma2: Number(init), threshold: 3, klWeight: Number(kl), ...(target ? { sparsity: Number(target) } : {}), fineTuneEpochs: process.env.GRADUAL ? Number(ft) : 0, ...(process.env.GRADUAL ? { gradualRamp: Number(process.env.GRADUAL) } : {}), batchSize: 64 }, (e, vd) => {
  const masks = vd.masks();
  let z = 0;
  let n = 0;
  for (const m of masks.values()) {
    z += m.size - tf.sum(m).dataSync()[0]!;
    n += m.size;
    m.dispose();
  }
  console.log(`epoch ${e}: log α > 3 for ${(100 * z / n).toFixed(2)}%, mean-net acc ${accuracy(vd.model, testT.x, testT.y, { batchSize: 500 })} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
});
const twin = process.env.KD ? dense.model.clone() : undefined;
console.log(`removed ${removed}, masked acc ${accuracy(dense.model, testT.x, testT.y, { batchSize: 500 })}`);
if (!process.env.GRADUAL) await fineTune(dense.model, trainT, { epochs: Number(ft), lr: 1e-3, batchSize: 64, seed: 5 });
console.log(`removed ${removed}, total ${sparsityReport(dense.model).total.sparsity}, acc after ft ${accuracy(dense.model, testT.x, testT.y, { batchSize: 500 })} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
if (twin) {
  // The same masks fine-tuned with KD from the dense model (KD=T,alpha): same epochs, only the loss differs.
  const [temperature = 4, alpha = 0.9] = process.env.KD!.split(',').map(Number);
  await fineTune(twin, trainT, { epochs: Number(ft), lr: 1e-3, batchSize: 64, seed: 5, loss: kdLossSpec(teacher, { temperature, alpha }) });
  console.log(`KD T=${temperature} alpha=${alpha} fine-tune of the same masks: acc ${accuracy(twin, testT.x, testT.y, { batchSize: 500 })} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log(sparsityReport(dense.model).rows.map((r) => `${r.name} ${r.sparsity.toFixed(4)}`).join(', '));
