import * as tf from '@tensorflow/tfjs-core';
import { loadDeps } from './deps';
import { layersSmallCnn } from './layers-nets';
import { coreTrainer, layersTrainer } from './throughput';
const { core, models } = await loadDeps();
await core.initBackend('cpu');
const x = tf.randomUniform([64, 28, 28, 1]);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32'), 10);
const ts = [coreTrainer(core, models.smallCnn(), x, y, 64), layersTrainer(layersSmallCnn(), x, y, 64)];
for (let e = 0; e < 2; e++) for (const [i, t] of ts.entries()) { const t0 = performance.now(); await t.epoch(e); console.log(i, e, ((performance.now() - t0) / 1000).toFixed(1), 's'); }
