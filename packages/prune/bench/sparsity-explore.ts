// Tuning run for sparse variational dropout (not part of `pnpm bench`):
// `npx tsx bench/sparsity-explore.ts LeNet-300-100 epochs warmup lrMult ftEpochs`. Prints per-epoch masked fraction and accuracy.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { sparsityReport } from '@bonsai/prune';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { accuracy } from '@bonsai/eval';
import { lenet5, mlp300100, smallCnn } from '@bonsai/models';
import { cachedDense, runSparseVd } from './sparsity-vd';

await initBackend('wasm');
const [name = 'LeNet-300-100', epochs = '6', warmup = '2', mult = '10', ft = '1', init = '-10', kl = '1', target = ''] = process.argv.slice(2);
const data = loadMnist({ seed: 42 });
const trainT = toTensors(data.train);
const testT = toTensors(data.test);
const builds = { 'LeNet-300-100': [() => mlp300100({ seed: 0 }), 10], 'LeNet-5': [() => lenet5({ seed: 0 }), 4], 'small CNN 8-8-16-16': [() => smallCnn({ seed: 0, widths: [8, 16], hidden: 32 }), 4] } as const;
const [build, denseEpochs] = builds[name as keyof typeof builds];
const dense = await cachedDense(`${name}-e${denseEpochs}-n8000`, build, trainT, { epochs: denseEpochs, batchSize: 64, lr: 1e-3 });
const denseAcc = accuracy(dense.model, testT.x, testT.y, { batchSize: 500 });
console.log(`${name} dense ${denseAcc} (${dense.cached ? 'cached' : `${dense.seconds.toFixed(0)} s`})`);
const t0 = performance.now();
const removed = await runSparseVd(dense.model, trainT, { epochs: Number(epochs), warmupEpochs: Number(warmup), lr: 1e-3, logSigma2LrMultiplier: Number(mult), initLogSigma2: Number(init), threshold: 3, klWeight: Number(kl), ...(target ? { sparsity: Number(target) } : {}), fineTuneEpochs: Number(ft), batchSize: 64 }, (e, vd) => {
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
console.log(`removed ${removed}, total ${sparsityReport(dense.model).total.sparsity}, acc after ft ${accuracy(dense.model, testT.x, testT.y, { batchSize: 500 })} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
console.log(sparsityReport(dense.model).rows.map((r) => `${r.name} ${r.sparsity.toFixed(4)}`).join(', '));
