import * as tf from '@tensorflow/tfjs-core';
import { type Attrs, getOp, type ModelInputs, type NodeId, type OpSpec, resolveInputs, type RunResult } from '@bonsai/core';
import { type FusedActivation, type Int8BinaryLayer, type Int8Input, Int8Kernels, type Int8Layer, type Int8LayerFactory, isResident, type ResidentTensor } from '@bonsai/int8-kernels';
import { fakeQuant } from '../fake-quant';
import type { QParams } from '../qparams';
import type { QuantizedModel } from '../quantized-model';
import { FUSED_ACTIVATIONS, INT8_ELEMENTWISE, INT8_KERNELS, INT8_LOOKUP, INT8_PASSTHROUGH, INT8_REDUCTIONS } from './kernel-table';
import { centered, fromCentered, type Int8Value, isInt8Grid, toFloat, toInt8 } from './values';

/** How one node runs in the integer plan. */
export type StepKind =
  /** An int8 kernel (conv2d, depthwise, dense, global average pooling), fused activation included. */
  | 'int8'
  /** The activation fused into the previous int8 step: nothing to compute. */
  | 'fused'
  /** A grid-preserving op: int8 max pooling, or (ReLU, other ops) run on the centered integers. */
  | 'passthrough'
  /** Flatten / reshape / inference dropout: the same int8 bytes with a new shape. */
  | 'reshape'
  /** Residual add of two int8 inputs (fused ReLU included), as the simulation rounds it. */
  | 'int8add'
  /** Float32 on tfjs, exactly as the simulated model runs it. */
  | 'float'
  | 'input';

/** Options of {@link IntegerPlan.run}: per-step timing for profiles. */
export interface PlanRunOptions {
  /** A clock in ms; when given, `onStep` receives each step's time. */
  clock?: () => number;
  onStep?: (step: PlanStepInfo, ms: number) => void;
}

/** One node of the plan and, for float steps of quantizable ops, why it has no int8 kernel. */
export interface PlanStepInfo {
  readonly node: NodeId;
  readonly op: string;
  readonly kind: StepKind;
  readonly reason?: string;
}

interface Step extends PlanStepInfo {
  readonly spec: OpSpec;
  readonly inputs: readonly NodeId[];
  readonly attrs: Attrs;
  readonly layer?: Int8Layer;
  readonly binary?: Int8BinaryLayer;
  /** The kernel takes rows [batch..., features] flattened to 2-D (dense). */
  readonly rows?: boolean;
  /** Quantization of this node's output (int8 grid) when it has one. */
  readonly qp?: QParams;
  /** For an input step: every consumer reads it as int8. */
  readonly int8Only?: boolean;
  /** For a fused step: the int8 step whose value it is. */
  readonly fusedFrom?: NodeId;
}

/** A node's value during a run: int8 integers (in JavaScript, or resident in the kernels' memory), float32 tensor, or both. */
interface Value {
  q?: Int8Value;
  /** The int8 value left in the WASM kernels' memory, and its grid. */
  r?: { t: ResidentTensor; qp: QParams };
  f?: tf.Tensor;
}

/**
 * Integer execution of a {@link QuantizedModel}: conv2d / depthwise / dense nodes whose input and
 * output are on int8 grids and whose weights are symmetric int8 run on int8 kernels (the fused
 * ReLU/ReLU6 included), activations stay int8 from one such layer to the next (through max
 * pooling, flatten and ReLU, which keep the grid), and every other node runs in float exactly as
 * the simulated model does. Built once per model (weights packed into the kernels' memory).
 */
export class IntegerPlan {
  private readonly steps: readonly Step[];

  constructor(private readonly model: QuantizedModel, private readonly kernels: Int8LayerFactory) {
    this.steps = buildSteps(model, kernels);
  }

  /** What runs where (for reports and tests). */
  describe(): PlanStepInfo[] {
    return this.steps.map(({ node, op, kind, reason }) => (reason ? { node, op, kind, reason } : { node, op, kind }));
  }

  /** Number of nodes on int8 kernels. */
  get int8Layers(): number {
    return this.steps.filter((s) => s.kind === 'int8').length;
  }

  /**
   * Runs the plan (inference); the outputs are float32 tensors the caller owns. On the WASM
   * kernels, int8 values stay in the module's memory from one int8 step to the next (the input is
   * quantized there too); they are copied out only where a float step or an output reads them.
   */
  run(inputs: ModelInputs, options: PlanRunOptions = {}): RunResult {
    const k = this.kernels;
    return k instanceof Int8Kernels ? k.resident(() => this.runSteps(inputs, k, options)) : this.runSteps(inputs, undefined, options);
  }

  private runSteps(inputs: ModelInputs, wasm: Int8Kernels | undefined, options: PlanRunOptions): RunResult {
    const clock = options.clock;
    const graph = this.model.graph;
    const feeds = resolveInputs(graph, inputs);
    return tf.tidy(() => {
      const values = new Map<NodeId, Value>();
      /** The int8 value in JavaScript memory (copied out of the kernels' memory when resident). */
      const inJs = (v: Value): Int8Value => {
        if (!v.q && v.r) v.q = { data: wasm!.read(v.r.t), shape: v.r.t.shape, qp: v.r.qp };
        return v.q!;
      };
      const asFloat = (id: NodeId): tf.Tensor => {
        const v = values.get(id)!;
        if (!v.f) {
          // Resident int8 values are dequantized in wasm (the same float32 products as toFloat).
          if (!v.q && v.r) v.f = tf.tensor(wasm!.dequantize(v.r.t, quantOf(v.r.qp)), [...v.r.t.shape], 'float32');
          else {
            const q = inJs(v);
            v.f = tf.tensor(toFloat(q), [...q.shape], 'float32');
          }
        }
        return v.f;
      };
      /** The int8 value on `qp` for a kernel: resident when it is, quantized from float if needed. */
      const asInt8 = (id: NodeId, qp: QParams): Int8Input & { qp: QParams } => {
        const v = values.get(id)!;
        if (v.r && v.r.qp === qp) return { ...v.r.t, qp };
        if (v.q && v.q.qp === qp) return v.q;
        // A float value quantized in wasm when the kernels are (same integers as toInt8 and fakeQuant).
        if (wasm) {
          v.r = { t: wasm.quantize(v.f!.dataSync() as Float32Array, v.f!.shape, quantRange(qp)), qp };
          return { ...v.r.t, qp };
        }
        v.q = toInt8(v.f!.dataSync() as Float32Array, v.f!.shape, qp);
        return v.q;
      };
      const setInt8 = (id: NodeId, y: Int8Input, qp: QParams): void => {
        values.set(id, isResident(y) ? { r: { t: y, qp } } : { q: { data: y.data, shape: y.shape, qp } });
      };
      const runLayer = (layer: Int8Layer, x: Int8Input): Int8Input => (wasm && layer.runResident ? layer.runResident(x) : layer.run(x as Int8Value));
      for (const s of this.steps) {
        const t0 = clock?.();
        switch (s.kind) {
          case 'input': {
            const x = feeds.get(s.node)!;
            // Quantized straight to int8 when only int8 steps read it (same integers as fakeQuant).
            if (s.int8Only && s.qp && wasm) {
              const qp = s.qp;
              values.set(s.node, { r: { t: wasm.quantize(x.dataSync() as Float32Array, x.shape, quantRange(qp)), qp } });
            } else if (s.int8Only && s.qp) values.set(s.node, { q: toInt8(x.dataSync() as Float32Array, x.shape, s.qp) });
            else values.set(s.node, { f: s.qp ? fakeQuant(x, s.qp) : x });
            break;
          }
          case 'int8': {
            const src = stepOf(this.steps, s.inputs[0]!);
            const x = asInt8(s.inputs[0]!, src.qp!);
            const shape = x.shape;
            const rows = s.rows ? [shape.slice(0, -1).reduce((a, b) => a * b, 1), shape[shape.length - 1]!] : shape;
            const y = runLayer(s.layer!, { ...x, shape: rows });
            const outShape = s.rows ? [...shape.slice(0, -1), y.shape[1]!] : y.shape;
            setInt8(s.node, { ...y, shape: outShape }, s.qp!);
            break;
          }
          case 'fused':
            values.set(s.node, values.get(s.fusedFrom!)!);
            break;
          case 'int8add': {
            const a = asInt8(s.inputs[0]!, stepOf(this.steps, s.inputs[0]!).qp!);
            const b = asInt8(s.inputs[1]!, stepOf(this.steps, s.inputs[1]!).qp!);
            const y = wasm && s.binary!.runResident ? s.binary!.runResident(a, b) : s.binary!.run(a as Int8Value, b as Int8Value);
            setInt8(s.node, { ...y, shape: a.shape }, s.qp!);
            break;
          }
          case 'reshape': {
            const v = values.get(s.inputs[0]!)!;
            const shape = (t: { shape: readonly number[] }): number[] => [t.shape[0]!, ...graph.shape(s.node)];
            values.set(s.node, v.r ? { r: { t: { offset: v.r.t.offset, shape: shape(v.r.t) }, qp: v.r.qp } } : { q: { ...v.q!, shape: shape(v.q!) } });
            break;
          }
          case 'passthrough': {
            const v = values.get(s.inputs[0]!)!;
            if (s.layer) {
              const qp = v.r?.qp ?? v.q!.qp;
              setInt8(s.node, runLayer(s.layer, v.r ? v.r.t : v.q!), qp);
              break;
            }
            const x = inJs(v);
            const t = tf.tensor(centered(x), [...x.shape], 'float32');
            const y = s.spec.forward([t], {}, s.attrs, { training: false, nodeId: s.node, rng: noRandom, updates: [] });
            values.set(s.node, { q: fromCentered(y.dataSync() as Float32Array, y.shape, x.qp) });
            break;
          }
          case 'float': {
            const params: Record<string, tf.Tensor> = {};
            for (const role of Object.keys(graph.paramSpecs(s.node))) {
              const p = this.model.param(s.node, role);
              if (p) params[role] = p.effective();
            }
            const out = s.spec.forward(s.inputs.map(asFloat), params, s.attrs, { training: false, nodeId: s.node, rng: noRandom, updates: [] });
            // On an int8 grid, quantized in wasm (the integers fakeQuant rounds to); float readers get
            // them dequantized (fakeQuant's values), kernels read them as they are.
            if (s.qp && isInt8Grid(s.qp) && wasm) values.set(s.node, { r: { t: wasm.quantize(out.dataSync() as Float32Array, out.shape, quantRange(s.qp)), qp: s.qp } });
            else values.set(s.node, { f: s.qp ? fakeQuant(out, s.qp) : out });
            break;
          }
        }
        // tfjs-backend-wasm runs its kernels synchronously: a float step is finished when it returns.
        if (clock) options.onStep?.(s, clock() - t0!);
      }
      const outputs = graph.outputs.map(asFloat);
      return { output: outputs[0]!, outputs, captured: {} };
    });
  }
}

function noRandom(): number {
  throw new Error('integer plan: an op drew a random number in inference mode');
}

function stepOf(steps: readonly Step[], id: NodeId): Step {
  return steps.find((s) => s.node === id)!;
}

function buildSteps(model: QuantizedModel, kernels: Int8LayerFactory): Step[] {
  const graph = model.graph;
  const steps: Step[] = [];
  const byId = new Map<NodeId, Step>();
  const acts = model.activationQParams;
  const push = (s: Step): void => {
    steps.push(s);
    byId.set(s.node, s);
  };
  const fusedInto = new Map<NodeId, NodeId>();
  for (const node of graph.nodes) {
    const spec = getOp(node.op, node.id);
    const base = { node: node.id, op: node.op, spec, inputs: node.inputs, attrs: node.attrs };
    const actQp = acts.get(node.id);
    if (spec.graphInput) {
      push({ ...base, kind: 'input', ...(actQp ? { qp: actQp } : {}) });
      continue;
    }
    const from = fusedInto.get(node.id);
    if (from) {
      push({ ...base, kind: 'fused', fusedFrom: from, qp: byId.get(from)!.qp! });
      continue;
    }
    const src = byId.get(node.inputs[0]!);
    // A grid-preserving op on an int8 value stays int8 (same grid) unless its output is re-quantized.
    if (spec.quantPassthrough && !actQp && node.inputs.length === 1 && src && INT8_VALUED.has(src.kind) && src.qp) {
      const pt = INT8_PASSTHROUGH[node.op];
      if (pt === 'reshape') push({ ...base, kind: 'reshape', qp: src.qp });
      else push({ ...base, kind: 'passthrough', qp: src.qp, ...(pt ? { layer: pt(kernels, node.attrs) } : {}) });
      continue;
    }
    const ew = INT8_ELEMENTWISE[node.op];
    if (ew && node.inputs.length === 2) {
      const [a, b] = node.inputs.map((i) => byId.get(i)?.qp);
      const out = outputGrid(model, node.id, actQp);
      if (isInt8Grid(a) && isInt8Grid(b) && out) {
        const binary = ew(kernels, { a: quantOf(a), b: quantOf(b), output: quantOf(out.qp), activation: out.activation, qmin: out.qp.qmin, qmax: out.qp.qmax });
        push({ ...base, kind: 'int8add', binary, qp: out.qp });
        if (out.fused) fusedInto.set(out.fused, node.id);
        continue;
      }
    }
    const reduce = INT8_REDUCTIONS[node.op];
    if (reduce && node.inputs.length === 1 && src && INT8_VALUED.has(src.kind) && isInt8Grid(src.qp)) {
      const out = outputGrid(model, node.id, actQp);
      if (out && out.activation === 'none') {
        const layer = reduce(kernels, { input: quantOf(src.qp), output: quantOf(out.qp), qmin: out.qp.qmin, qmax: out.qp.qmax });
        push({ ...base, kind: 'int8', layer, qp: out.qp });
        continue;
      }
    }
    if (INT8_LOOKUP.has(node.op) && node.inputs.length === 1 && src && INT8_VALUED.has(src.kind) && isInt8Grid(src.qp)) {
      const out = outputGrid(model, node.id, actQp);
      if (out && out.activation === 'none') {
        push({ ...base, kind: 'int8', layer: kernels.lookup(lookupTable(spec, node.attrs, node.id, src.qp, out.qp)), qp: out.qp });
        continue;
      }
    }
    const entry = INT8_KERNELS[node.op];
    if (entry) {
      const r = int8Step(model, kernels, node.id, node.attrs, src?.qp, actQp);
      if (typeof r !== 'string') {
        push({ ...base, kind: 'int8', layer: r.layer, qp: r.qp, rows: entry.rows === true });
        if (r.fused) fusedInto.set(r.fused, node.id);
        continue;
      }
      push({ ...base, kind: 'float', reason: r, ...(actQp ? { qp: actQp } : {}) });
      continue;
    }
    // Float steps keep the simulated model's grid (its output is fake-quantized when it has one);
    // a passthrough op after a float step is on its input's grid, which the next int8 step reads.
    const qp = actQp ?? (spec.quantPassthrough ? src?.qp : undefined);
    push({ ...base, kind: 'float', ...(qp ? { qp } : {}) });
  }
  // Inputs read only by int8 steps skip the float fake-quantized tensor.
  return steps.map((st) => (st.kind === 'input' && graph.consumers(st.node).every((c) => byId.get(c)!.kind === 'int8') ? { ...st, int8Only: true } : st));
}

/** The 256-entry table of a unary op from grid `inQp` to `outQp`: the op on each dequantized input value, fake-quantized. */
function lookupTable(spec: OpSpec, attrs: Attrs, node: NodeId, inQp: QParams, outQp: QParams): Int8Array {
  const grid: Int8Value = { data: Int8Array.from({ length: 256 }, (_, i) => i - 128), shape: [256], qp: inQp };
  const values = tf.tidy(() => {
    const y = spec.forward([tf.tensor1d(toFloat(grid))], {}, attrs, { training: false, nodeId: node, rng: noRandom, updates: [] });
    return fakeQuant(y, outQp).dataSync() as Float32Array;
  });
  return toInt8(values, [256], outQp).data;
}

/** A grid as the kernels' quantize takes it. */
const quantRange = (qp: QParams): { scale: number; zeroPoint: number; qmin: number; qmax: number } => ({ scale: qp.scale[0]!, zeroPoint: qp.zeroPoint[0]!, qmin: qp.qmin, qmax: qp.qmax });

/** Kinds of steps whose value is held as int8. */
const INT8_VALUED = new Set<StepKind>(['int8', 'fused', 'passthrough', 'reshape', 'int8add']);

const quantOf = (qp: QParams): { scale: number; zeroPoint: number } => ({ scale: qp.scale[0]!, zeroPoint: qp.zeroPoint[0]! });

/** A node's output grid: its own, or that of its single consumer when that is a fusable activation. */
function outputGrid(model: QuantizedModel, id: NodeId, ownQp: QParams | undefined): { qp: QParams; activation: FusedActivation; fused?: NodeId } | undefined {
  const graph = model.graph;
  if (ownQp) return isInt8Grid(ownQp) ? { qp: ownQp, activation: 'none' } : undefined;
  const consumers = graph.consumers(id);
  if (consumers.length !== 1 || graph.outputs.includes(id)) return undefined;
  const c = graph.node(consumers[0]!);
  const act = FUSED_ACTIVATIONS[c.op];
  const qp = model.activationQParams.get(c.id);
  return act && isInt8Grid(qp) ? { qp, activation: act, fused: c.id } : undefined;
}

function int8Step(model: QuantizedModel, kernels: Int8LayerFactory, id: NodeId, attrs: Attrs, inQp: QParams | undefined, ownQp: QParams | undefined): { layer: Int8Layer; qp: QParams; fused?: NodeId } | string {
  const graph = model.graph;
  const op = graph.node(id).op;
  const entry = INT8_KERNELS[op]!;
  const spec = getOp(op, id);
  if (!isInt8Grid(inQp)) return 'its input is not on a per-tensor int8 grid';
  const weightName = `${id}/${spec.weightParam}`;
  const weight = model.quantizedWeights.get(weightName);
  if (!weight) return 'its weights are not quantized';
  const wq = weight.qparams;
  if (wq.bits !== 8 || wq.qmin < -128 || wq.qmax > 127 || wq.zeroPoint.some((z) => z !== 0)) return 'its weights are not symmetric int8';
  if (wq.scale.length > 1 && wq.axis !== entry.channelAxis) return `its weight scales run along axis ${String(wq.axis)}, the kernel needs ${entry.channelAxis}`;
  const grid = outputGrid(model, id, ownQp);
  if (!grid) return 'its output is not quantized to a per-tensor int8 grid';
  const { qp: outQp, activation, fused } = grid;
  const floatOf = (role: string): Float32Array | undefined => {
    const p = model.param(id, role);
    return p ? tf.tidy(() => p.effective().dataSync() as Float32Array) : undefined;
  };
  const bias = floatOf(entry.biasRole ?? 'bias');
  const layer = entry.build(kernels, {
    attrs,
    weight,
    weightOf: (role) => model.quantizedWeights.get(`${id}/${role}`),
    floatOf,
    requant: {
      input: quantOf(inQp),
      output: quantOf(outQp),
      weightScales: wq.scale,
      ...(bias ? { bias } : {}),
      activation,
      qmin: outQp.qmin,
      qmax: outQp.qmax,
    },
  });
  if (typeof layer === 'string') return layer;
  return fused ? { layer, qp: outQp, fused } : { layer, qp: outQp };
}
