// Tuning run for AGP in the sparsity bench (not part of `pnpm bench`):
// `npx tsx bench/sparsity-agp-explore.ts <model> <epochs> <ramp> <spec> [clusters] [lr]`, spec `0.98` (one global |w| threshold)
// or `conv1=0.4,conv2=0.85,...` (AGP per layer to its own sparsity). Starts from the cached dense model
// (DENSE_EPOCHS, as sparsity-explore.ts); prints accuracy per epoch, then the clustered Bonsai file's size and accuracy
// (FOLD_BN=1 folds batch norm into the convs first; with [centroidEpochs] > 0, after that many epochs of centroid fine-tuning at lr / 4; SAVE_PRUNED=<dir> also saves the pruned model there; KD=T,alpha distills from the dense model while pruning).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, save, type Callback } from '@bonsai/core';
import { agp, fineTune, gradualPruning, remove, sparsityReport } from '@bonsai/prune';
import { accuracy } from '@bonsai/eval';
import { kdLossSpec } from '@bonsai/distill';
import { clusteredFile } from './codebook-file';
import { quantize } from './quantize-api';
import { exploreStart } from './sparsity-vd';
import { fileSize } from './util';

await initBackend('wasm');
const [name = 'LeNet-5', epochs = '8', ramp = '0.6', spec = '0.98', clusters = '4', lr = '1e-3', centroidEpochs = '0'] = process.argv.slice(2);
const { trainT, testT, dense, build } = await exploreStart(name);
const acc = (m: typeof dense.model): number => accuracy(m, testT.x, testT.y, { batchSize: 500 });
console.log(`${name} dense ${acc(dense.model)}`);
const m = dense.model;
const endStep = Math.max(1, Math.round(Number(ramp) * Number(epochs) * Math.ceil(trainT.x.shape[0]! / 64)));
const perLayer = spec.includes('=') ? spec.split(',').map((kv) => kv.split('=') as [string, string]) : undefined;
const callbacks: Callback[] = perLayer
  ? perLayer.map(([layer, s]) => gradualPruning({ schedule: agp({ initialSparsity: 0, finalSparsity: Number(s), beginStep: 0, endStep, frequency: 25 }), params: [`${layer}/kernel`] }))
  : [gradualPruning({ schedule: agp({ initialSparsity: 0, finalSparsity: Number(spec), beginStep: 0, endStep, frequency: 25 }), global: true })];
const t0 = performance.now();
const log: Callback = { onEpochEnd: (s) => console.log(`epoch ${s.epoch}: sparsity ${sparsityReport(m).total.sparsity.toFixed(4)}, acc ${acc(m)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`) };
// KD=T,alpha: the pruning fine-tune distills from the dense model (same epochs, only the loss differs).
const [temperature = 4, alpha = 0.9] = (process.env.KD ?? '').split(',').filter(Boolean).map(Number);
const teacher = process.env.KD ? m.clone() : undefined;
await fineTune(m, trainT, { epochs: Number(epochs), lr: Number(lr), batchSize: 64, callbacks: [...callbacks, log], seed: 2, ...(teacher ? { loss: kdLossSpec(teacher, { temperature, alpha }) } : {}) });
teacher?.dispose();
console.log(sparsityReport(m).rows.map((r) => `${r.name} ${r.sparsity.toFixed(4)}`).join(', '));
remove(m);
if (process.env.SAVE_PRUNED) await save(m, process.env.SAVE_PRUNED);
const float = await fileSize(build());
// PARAM_CLUSTERS=conv1/kernel=16,fc2/kernel=8 and OTHER_CLUSTERS=4: centroids per param as the bench's paramClusters / otherClusters.
const paramClusters = Object.fromEntries((process.env.PARAM_CLUSTERS ?? '').split(',').filter(Boolean).map((kv) => { const i = kv.lastIndexOf('='); return [kv.slice(0, i), Number(kv.slice(i + 1))]; }));
const folded = process.env.FOLD_BN ? quantize.foldBatchNorm(m) : m;
for (const k of [Number(clusters), 2 * Number(clusters)]) {
  const fineTuneCentroids = async (c: typeof m, cb: Callback): Promise<void> => {
    await fineTune(c, trainT, { epochs: Number(centroidEpochs), lr: Number(lr) / 4, batchSize: 64, callbacks: [cb], seed: 3 });
  };
  const f = await clusteredFile(folded, { kernelClusters: k, otherClusters: Number(process.env.OTHER_CLUSTERS ?? 16), paramClusters, ...(Number(centroidEpochs) > 0 ? { fineTune: fineTuneCentroids } : {}) });
  console.log(`${k} centroids: acc ${acc(f.model)}, ${f.bytes} B raw (${(float.bytes / f.bytes).toFixed(1)}x), ${f.gzip} B gzip (${(float.bytes / f.gzip).toFixed(1)}x) ${JSON.stringify(f.files)}`);
  f.model.dispose();
}
if (folded !== m) folded.dispose();
tf.dispose([trainT.x, trainT.y, testT.x, testT.y]);
