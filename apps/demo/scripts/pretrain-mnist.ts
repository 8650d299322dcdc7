/**
 * Trains the demo's pretrained MNIST CNN with Bonsai (Node, wasm backend) and writes it as a stock
 * tfjs LayersModel to public/pretrained/mnist-cnn/ (model.json + weights.bin + info.json), so the
 * page can compress it one click after loading. Run from apps/demo with built packages:
 *   pnpm turbo run build --filter=@bonsai/demo^... && npx tsx scripts/pretrain-mnist.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { adam, cosineLr, initBackend, train } from '@bonsai/core';
import { loadMnist, toTensors } from '@bonsai/datasets';
import { accuracy, countParams } from '@bonsai/eval';
import { toLayersArtifacts } from '@bonsai/interop';
import { demoCnn } from '../src/cnn';

const EPOCHS = 3;
const BATCH = 32;
const out = fileURLToPath(new URL('../public/pretrained/mnist-cnn/', import.meta.url));

await initBackend('wasm');
// The same split as the page's assets (seed 42): 8000 training digits; the page's 1000 test digits are the first of the 2000 test digits.
const { train: trainSplit, test: testSplit } = loadMnist({ seed: 42, testSize: 1000 });
const trainT = toTensors(trainSplit);
const testT = toTensors(testSplit);
const model = demoCnn();
const steps = EPOCHS * Math.ceil(trainSplit.count / BATCH);
const t0 = performance.now();
const history = await train(model, { x: trainT.x, y: trainT.y }, {
  optimizer: adam({ lr: 2e-3 }),
  lrSchedule: cosineLr({ initial: 2e-3, totalSteps: steps, min: 2e-5 }),
  epochs: EPOCHS,
  batchSize: BATCH,
  seed: 1,
  callbacks: [{ onEpochEnd: (s) => console.log(`epoch ${s.epoch + 1}: loss ${s.epochLoss.toFixed(4)}`) }],
});
const seconds = (performance.now() - t0) / 1000;
const acc = accuracy(model, testT.x, testT.y, { batchSize: 250 });
const art = await toLayersArtifacts(model, { name: 'bonsai_mnist_cnn' });
await mkdir(out, { recursive: true });
await writeFile(join(out, 'model.json'), JSON.stringify(art.modelJson));
await writeFile(join(out, 'weights.bin'), new Uint8Array(art.weights));
const info = {
  name: 'MNIST CNN (pretrained)',
  made: `Bonsai demoCnn (smallCnn widths [8, 16], hidden 32, BN momentum 0.9, dropout 0.1), trained by apps/demo/scripts/pretrain-mnist.ts on the 8000 training digits of loadMnist({ seed: 42 }): Adam 2e-3 with cosine decay, batch ${BATCH}, ${EPOCHS} epochs, seed 1, wasm backend; exported with @bonsai/interop toLayersArtifacts`,
  params: countParams(model),
  epochs: EPOCHS,
  trainSeconds: Math.round(seconds),
  finalLoss: history.epochLosses.at(-1),
  testAccuracy: acc,
  testDigits: testSplit.count,
  preprocess: '[0,1]',
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};
await writeFile(join(out, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
console.log(`test accuracy ${(acc * 100).toFixed(2)}% on ${testSplit.count} digits, ${info.params} params, ${seconds.toFixed(0)} s`);
tf.dispose([trainT.x, trainT.y, testT.x, testT.y]);
model.dispose();
