import * as tf from '@tensorflow/tfjs-core';
console.log(typeof tf.add);
import { initBackend, GraphBuilder, Model, train, adam } from '@bonsai/core';
import { loadMnist, epochBatches } from '@bonsai/datasets';

import { it } from 'vitest';
it('debug', async () => {
  await initBackend('wasm');
  const d = loadMnist({ trainSize: 64 });
  const mine = () => {
    const b = new GraphBuilder();
    const x = b.input([28, 28, 1], { name: 'input' });
    let h = b.conv2d(x, { filters: 8, kernel: 3, padding: 'same', useBias: false, name: 'conv1' });
    h = b.relu(b.batchNorm(h, { name: 'bn1' }));
    h = b.globalAvgPool(h, { name: 'gap' });
    return Model.create(b.build(b.dense(h, { units: 10, name: 'fc' })), { seed: 0 });
  };
  for (const [name, f] of [['mine', mine], ['mine', mine]] as const) {
    try {
      const m = f();
      console.log(JSON.stringify(m.graph.toJSON()));
      const hst = await train(m, epochBatches(d.train, { batchSize: 64 }), { epochs: 1, optimizer: adam() });
      console.log(name, 'ok', hst.epochLosses);
    } catch (e) { console.log(name, 'FAIL', (e as Error).message); }
  }
});
