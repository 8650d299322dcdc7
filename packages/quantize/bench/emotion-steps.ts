/**
 * Where the emotion GraphModel's int8 error comes from, and what more calibration data, per-channel
 * depthwise outputs and bias correction do to it (issue 17's "99% agreement" item), in one run on
 * the real-models bench's crops: CLE on activation ranges + per-channel int8 weights as the base,
 * then weights only / activations only, per-channel activation
 * parameters on the depthwise outputs (simulated: Bonsai's int8 format stores per-tensor activations
 * only), MSE observers, bias correction, 32 vs 256 calibration crops. Every row also lists the float
 * top-1/top-2 margins of the crops whose top-1 flipped. Writes bench-results/emotion-steps.json
 * (`QUANTIZE_BENCH_ONLY=emotion-steps`; not part of the default run: about 15 minutes at load 20).
 */
import * as tf from '@tensorflow/tfjs-core';
import { getOp, initBackend, type Model, type NodeId } from '@bonsai/core';
import {
  channelMinMax, computeQParams, correctBias, DEFAULT_ACTIVATION_SCHEME, equalizeCrossLayer, foldBatchNorm, prepareStatic,
  QuantizedModel, resolveScheme, type PreparedModel, type QParams, type QuantizeOptions,
} from '@bonsai/quantize';
import { createReport, pick } from '@bonsai/bench-harness';
// interop depends on quantize, so it cannot be a dependency of quantize: the bench reads its source.
import { importGraphModel } from '../../interop/src/index';
import { crops } from './photo-crops';
import { compareProbabilities as compare, fixtureModel, int8ActivationNodes } from './real-model-fixtures';

const short = (id: string): string => id.replace('StatefulPartitionedCall/model_1/', '');

/** The same quantized model with per-channel (last axis) min/max activation parameters at `nodes`, from `prepared` on `calib`. */
function perChannelActivations(q: QuantizedModel, prepared: PreparedModel, calib: tf.Tensor, nodes: readonly NodeId[]): QuantizedModel {
  const acts = new Map<NodeId, QParams>(q.activationQParams);
  const scheme = resolveScheme(DEFAULT_ACTIVATION_SCHEME);
  const r = prepared.run(calib, { capture: [...nodes] });
  for (const id of nodes) {
    const y = r.captured[id]!;
    const { min, max } = channelMinMax(y.dataSync(), y.shape, y.rank - 1);
    acts.set(id, computeQParams(min, max, { ...scheme, perChannel: true }, y.rank - 1));
  }
  tf.dispose([...r.outputs, ...Object.values(r.captured)]);
  const c = q.clone();
  return new QuantizedModel(c.graph, c.params, c.seed, c.mode, c.quantizedWeights, acts);
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const nEval = pick(256, 24);
  const calibSizes = pick([32, 256], [12]);
  const report = createReport({ bench: 'emotion-steps', settings: { model: 'emotion (@vladmandic/human 3.3.6)', eval: nEval, calibration: calibSizes, base: 'CLE on activation ranges, int8 per-channel symmetric weights, int8 affine per-tensor min/max activations (softmax output float)' } });
  const model: Model = await importGraphModel(fixtureModel('emotion'));
  const shape = model.graph.shape(model.graph.inputs[0]!);
  const evalX = await crops(nEval, 2, shape);
  const ref = model.predict(evalX, { batchSize: 32 });
  const folded = foldBatchNorm(model);
  const rows: Array<Array<string | number>> = [];
  for (const nCalib of calibSizes) {
    const calib = await crops(nCalib, 1, shape);
    const { model: base } = equalizeCrossLayer(folded, { data: calib, ranges: 'activations' });
    const g = base.graph;
    const nodes = int8ActivationNodes(g);
    const hidden = nodes.filter((id) => !g.inputs.includes(id));
    // Depthwise outputs, by the op's channel rule (not its name).
    const depthwise = nodes.filter((id) => {
      const n = g.node(id);
      return !g.inputs.includes(id) && getOp(n.op, id).channelRule(n.inputs.map((i) => g.shape(i)), n.attrs).kind === 'depthwise';
    });
    report.note(`calibration ${nCalib}: depthwise outputs ${depthwise.map(short).join(', ')}`);
    const mse: QuantizeOptions['activationObservers'] = Object.fromEntries(hidden.map((id) => [id, 'mse' as const]));
    const row = (label: string, options: QuantizeOptions, post: { perChannel?: boolean; biasCorrection?: boolean } = {}): void => {
      const t = performance.now();
      const prepared = prepareStatic(base, options);
      prepared.calibrate(calib, { batchSize: 32 });
      let q = prepared.convert();
      if (post.perChannel) {
        const pc = perChannelActivations(q, prepared, calib, depthwise);
        q.dispose();
        q = pc;
      }
      if (post.biasCorrection) {
        const c = correctBias(q, prepared, calib, { batchSize: 32 });
        q.dispose();
        q = c.model;
      }
      const out = q.predict(evalX, { batchSize: 32 });
      const m = compare(ref, out);
      rows.push([nCalib, label, `${(100 * m.agreement).toFixed(2)}%`, m.kl.toExponential(2), m.flipped.map((v) => v.toFixed(3)).join(' '), ((performance.now() - t) / 1000).toFixed(1)]);
      console.log(rows[rows.length - 1]!.join(' | '));
      tf.dispose(out);
      q.dispose();
      prepared.dispose();
    };
    row('base (CLE act. + min/max)', { activationNodes: nodes });
    if (nCalib === calibSizes[0]) {
      row('weights only', { activationNodes: [] });
      row('activations only', { activationNodes: nodes, skip: g.nodes.map((n) => n.id) });
      row('base + per-channel depthwise outputs', { activationNodes: nodes }, { perChannel: true });
      row('MSE hidden activations', { activationNodes: nodes, activationObservers: mse });
      row('MSE hidden + per-channel depthwise outputs', { activationNodes: nodes, activationObservers: mse }, { perChannel: true });
    }
    row('base + bias correction', { activationNodes: nodes }, { biasCorrection: true });
    row('MSE hidden + bias correction', { activationNodes: nodes, activationObservers: mse }, { biasCorrection: true });
    base.dispose();
    calib.dispose();
  }
  report.table('emotion-steps', {
    title: `emotion GraphModel, int8: where the error is (${nEval} held-out crops)`,
    columns: ['calibration crops', 'variant', 'top-1 agreement', 'mean KL', 'float top-1/top-2 margins of the flipped crops', 'seconds'],
    rows,
    note: 'Base: CLE on activation ranges, per-channel int8 weights, per-tensor int8 min/max activations everywhere but the softmax output. Per-channel depthwise outputs are simulated only (the int8 format and kernels take per-tensor activations). Seconds: wall, shared machine.',
  });
  [model, folded].forEach((m) => m.dispose());
  tf.dispose([evalX, ref]);
  report.write();
}

await main();
