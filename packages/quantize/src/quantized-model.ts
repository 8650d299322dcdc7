import * as tf from '@tensorflow/tfjs-core';
import { Model, Param, type Graph, type ModelInputs, type NodeId, type RunOptions, type RunResult } from '@bonsai/core';
import type { Int8LayerFactory } from '@bonsai/int8-kernels';
import { IntegerPlan } from './integer/plan';
import { fakeQuant } from './fake-quant';
import { dequantizeArray, quantizeArray, type QParams } from './qparams';

/** How a model was quantized. */
export type QuantMode = 'dynamic' | 'static' | 'qat';

/** Integer values of one weight plus its quantization parameters. */
export interface QuantizedTensor {
  readonly shape: readonly number[];
  /** Integers in [qmin, qmax], row-major. */
  readonly values: Int32Array;
  readonly qparams: QParams;
}

/**
 * A converted model: simulated integer inference. Quantized weights compute with their exact
 * dequantized values `(q - zeroPoint) * scale`; activations at the quantized nodes are rounded
 * (half to even) and clipped to their integer grid before any consumer reads them. Biases and
 * other params stay float32. Accumulation happens in float32 (the wasm backend has no int8 kernels).
 */
export class QuantizedModel extends Model {
  protected override readonly dropoutStream = 'qdropout';

  constructor(
    graph: Graph,
    params: Map<string, Param>,
    seed: number,
    /** dynamic (weights only), static (calibrated activations) or qat. */
    readonly mode: QuantMode,
    /** Quantized weights by param name. */
    readonly quantizedWeights: ReadonlyMap<string, QuantizedTensor>,
    /** Per-tensor activation parameters by node. */
    readonly activationQParams: ReadonlyMap<NodeId, QParams>,
  ) {
    super(graph, params, seed);
  }

  /**
   * Why the layers cannot be resized: structured pruning (@bonsai/graph's DependencyGraph) asks
   * and refuses, because the integers, scales and zero points would no longer fit the params.
   */
  get structureLocked(): string {
    return 'it is quantized (its integer weights cannot be sliced); prune the float model, then quantize it';
  }

  /** Activations are quantized at the quantized nodes. */
  protected override nodeOutput(nodeId: NodeId, value: tf.Tensor): tf.Tensor {
    const qp = this.activationQParams.get(nodeId);
    return qp ? fakeQuant(value, qp) : value;
  }

  private integerPlan: IntegerPlan | undefined;

  /**
   * Runs the int8 layers on `kernels` (from @bonsai/int8-kernels' `loadInt8Kernels()`) for
   * inference from now on: activations stay int8 between consecutive int8 layers; other nodes
   * run in float as before. `undefined` switches back to simulation. Training passes and runs
   * with `capture` always simulate. Returns the plan.
   */
  useIntegerKernels(kernels: Int8LayerFactory | undefined): IntegerPlan | undefined {
    this.integerPlan = kernels ? new IntegerPlan(this, kernels) : undefined;
    return this.integerPlan;
  }

  /** Inference runs on the integer plan when {@link useIntegerKernels} set one. */
  override run(inputs: ModelInputs, options: RunOptions = {}): RunResult {
    if (this.integerPlan && !options.training && !options.capture?.length) return this.integerPlan.run(inputs);
    return super.run(inputs, options);
  }

  /** Deep copy that stays a quantized model (same integers and activation parameters). */
  override clone(): QuantizedModel {
    const base = super.clone();
    return new QuantizedModel(base.graph, base.params, this.seed, this.mode, this.quantizedWeights, this.activationQParams);
  }
}

/**
 * A view of `q` with the activation parameters `acts` instead of its own, sharing its graph,
 * params and integers: it owns no tensors, so it is not disposed (module-internal).
 */
export function activationView(q: QuantizedModel, acts: ReadonlyMap<NodeId, QParams>): QuantizedModel {
  return new QuantizedModel(q.graph, q.params, q.seed, q.mode, q.quantizedWeights, acts);
}

/** Quantizes float values once and builds the param holding their dequantized values. */
export function quantizeParam(p: Param, qp: QParams): { tensor: QuantizedTensor; param: Param } {
  const shape = [...p.shape];
  const eff = tf.tidy(() => p.effective().dataSync() as Float32Array);
  const values = quantizeArray(eff, shape, qp);
  return { tensor: { shape, values, qparams: qp }, param: paramFromQuantized(p.name, { shape, values, qparams: qp }, p.trainable) };
}

/** A param whose value is the dequantized integers of `q`. */
export function paramFromQuantized(name: string, q: QuantizedTensor, trainable = true): Param {
  const t = tf.tensor(dequantizeArray(q.values, q.shape, q.qparams), [...q.shape], 'float32');
  const p = new Param(name, t, trainable);
  t.dispose();
  return p;
}

/**
 * Builds a {@link QuantizedModel} from a float model (not modified): params in `weightQParams`
 * are quantized from their effective (masked) values, the others copied as float.
 */
export function buildQuantizedModel(source: Model, mode: QuantMode, weightQParams: ReadonlyMap<string, QParams>, activations: ReadonlyMap<NodeId, QParams>): QuantizedModel {
  const params = new Map<string, Param>();
  const quantized = new Map<string, QuantizedTensor>();
  try {
    for (const [name, p] of source.params) {
      const qp = weightQParams.get(name);
      if (qp) {
        const { tensor, param } = quantizeParam(p, qp);
        quantized.set(name, tensor);
        params.set(name, param);
      } else {
        const copy = tf.tidy(() => p.effective());
        params.set(name, new Param(name, copy, p.trainable));
        if (copy !== p.value) copy.dispose();
      }
    }
    return new QuantizedModel(source.graph.clone(), params, source.seed, mode, quantized, new Map(activations));
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  }
}
