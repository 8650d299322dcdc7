/**
 * Per-op profile of the int8 kernels against float (tfjs wasm) for one model and batch, printed as
 * a table (not part of `pnpm bench`; a diagnostic for bench/int8-kernels.ts's slow rows):
 * float runs the folded graph node by node (fused conv + activation kernels as inference runs them,
 * tfjs-backend-wasm runs each kernel synchronously, so a node is finished when it returns),
 * int8 times each step of the integer plan (IntegerPlan.run's clock). CPU time, medians of rounds
 * interleaved float / int8. Steps fused into the previous int8 step count 0.
 *
 *   INT8_PROFILE_MODEL=MobileNet INT8_PROFILE_BATCH=32 npx tsx bench/int8-op-profile.ts
 *   node --experimental-wasm-relaxed-simd --import tsx bench/int8-op-profile.ts   (relaxed build)
 */
import * as tf from '@tensorflow/tfjs-core';
import { getOp, initBackend, type NodeId } from '@bonsai/core';
import { loadInt8Kernels } from '@bonsai/int8-kernels';
import { median } from '@bonsai/bench-harness';
import { prepareStatic } from '../src/index';
import { int8BenchSpecs, randomizeBn } from './int8-measure';

const spec = int8BenchSpecs(false, process.env.INT8_PROFILE_MODEL ?? 'MobileNet')[0]!;
const batch = Number(process.env.INT8_PROFILE_BATCH ?? 32);
const rounds = Number(process.env.INT8_PROFILE_ROUNDS ?? 7);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

await initBackend('wasm');
const kernels = await loadInt8Kernels();
const model = spec.make();
randomizeBn(model, 12);
const calib = tf.randomUniform([32, ...spec.shape], 0, 1, 'float32', 22);
const prepared = prepareStatic(model, spec.quantize);
prepared.calibrate(calib, { batchSize: 32 });
const q = prepared.convert();
prepared.dispose();
const plan = q.useIntegerKernels(kernels)!;
const x = tf.randomUniform([batch, ...spec.shape], 0, 1, 'float32', 7);
const graph = q.graph;

/**
 * Float node by node on the batch-norm-folded graph of the converted model (its params are the
 * dequantized weights: float ops cost the same on any values), conv / dense + following ReLU(6)
 * as one fused tfjs kernel, as the float model's inference runs them: ms per node.
 */
function floatRound(): Map<NodeId, number> {
  const times = new Map<NodeId, number>();
  tf.tidy(() => {
    const values = new Map<NodeId, tf.Tensor>();
    const fusedInto = new Map<NodeId, NodeId>();
    for (const node of graph.nodes) {
      const op = getOp(node.op, node.id);
      const t0 = cpu();
      const from = fusedInto.get(node.id);
      let y: tf.Tensor;
      if (op.graphInput) y = x;
      else if (from) y = values.get(from)!;
      else {
        const params: Record<string, tf.Tensor> = {};
        for (const role of Object.keys(graph.paramSpecs(node.id))) {
          const p = q.param(node.id, role);
          if (p) params[role] = p.effective();
        }
        const consumers = graph.consumers(node.id);
        const next = consumers.length === 1 ? graph.node(consumers[0]!) : undefined;
        const act = next ? getOp(next.op, next.id).kernelActivation : undefined;
        if (op.fusedInference?.accepts(node.attrs) && op.weightParam) {
          y = op.fusedInference.run(values.get(node.inputs[0]!)!, params[op.weightParam]!, params.bias, node.attrs, act ?? 'linear');
          if (act && next) fusedInto.set(next.id, node.id);
        } else y = op.forward(node.inputs.map((i) => values.get(i)!), params, node.attrs, { training: false, nodeId: node.id, rng: Math.random, updates: [] });
      }
      times.set(node.id, cpu() - t0);
      values.set(node.id, y);
    }
    values.get(graph.outputs[0]!)!.dataSync();
  });
  return times;
}

function int8Round(): Map<NodeId, number> {
  const times = new Map<NodeId, number>();
  tf.tidy(() => {
    const r = plan.run(x, { clock: cpu, onStep: (s, t) => times.set(s.node, t) });
    r.output.dataSync();
  });
  return times;
}

const samples = { float: new Map<NodeId, number[]>(), int8: new Map<NodeId, number[]>() };
for (let r = 0; r < rounds + 2; r++) {
  for (const [v, f] of [['float', floatRound], ['int8', int8Round]] as const) {
    const t = f();
    if (r < 2) continue;
    for (const [id, ms] of t) samples[v].set(id, [...(samples[v].get(id) ?? []), ms]);
  }
}
const kinds = new Map(plan.describe().map((s) => [s.node, s.kind]));
const med = (v: 'float' | 'int8', id: NodeId): number => median(samples[v].get(id) ?? [0]);
let totF = 0;
let totI = 0;
console.log(`${spec.name}, batch ${batch}, ${kernels.variant}${kernels.relaxedGemm ? ` ${kernels.relaxedGemm}` : ''}: CPU ms per node, medians of ${rounds} rounds`);
console.log('| node | op | int8 step | float ms | int8 ms | float / int8 |\n| --- | --- | --- | ---: | ---: | ---: |');
for (const node of graph.nodes) {
  const f = med('float', node.id);
  const i = med('int8', node.id);
  totF += f;
  totI += i;
  console.log(`| ${node.id} | ${node.op} | ${kinds.get(node.id)} | ${f.toFixed(2)} | ${i.toFixed(2)} | ${i > 0.005 ? `${(f / i).toFixed(2)}x` : '-'} |`);
}
console.log(`| all | | | ${totF.toFixed(2)} | ${totI.toFixed(2)} | ${(totF / totI).toFixed(2)}x |`);
for (const m of [model, q]) m.dispose();
tf.dispose([x, calib]);
