import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Model, type Param, type Graph, type NodeId } from '@bonsai/core';
import { fakeQuant, fakeQuantMinMax } from './fake-quant';
import { foldBatchNorm } from './fold-bn';
import { createObserver, observeWeight, type Observer, type ObserverKind, type ObserverSpec } from './observers';
import { activationScheme, activationTargets, weightTargets, type QuantizeOptions } from './placement';
import type { QParams } from './qparams';
import { buildQuantizedModel, type QuantizedModel } from './quantized-model';
import type { ResolvedScheme } from './scheme';

/** Calibration data: one tensor of samples (batched internally) or an iterable of batches. */
export type CalibrationData = tf.Tensor | Iterable<tf.Tensor | { x: tf.Tensor }>;

/** Options of {@link PreparedModel.calibrate}. */
export interface CalibrateOptions {
  /** Batch size when data is one tensor (default 128). */
  batchSize?: number;
  /** Stop after this many batches. */
  maxBatches?: number;
}

/**
 * A model prepared for quantization (torch.ao `prepare` / `prepare_qat`). It is a {@link Model},
 * so core's `train()` trains it.
 * - `static`: runs in float; while {@link calibrate} runs, observers record the activations.
 * - `qat`: every forward pass fake-quantizes the weights (per-channel min/max of their current
 *   values) and the activations (moving-average observers, updated in training mode) with a
 *   straight-through gradient.
 * {@link convert} turns it into a {@link QuantizedModel}.
 */
export class PreparedModel extends Model {
  protected override readonly dropoutStream = 'qdropout';
  private observing = false;

  constructor(
    graph: Graph,
    params: Map<string, Param>,
    seed: number,
    readonly mode: 'static' | 'qat',
    /** Quantized weights: param name -> scheme. */
    readonly weightSchemes: ReadonlyMap<string, ResolvedScheme>,
    /** Activation observers by node. */
    readonly observers: ReadonlyMap<NodeId, Observer>,
    private readonly weightObserver: ObserverSpec | ObserverKind,
  ) {
    super(graph, params, seed);
  }

  /** QAT fake-quantizes the weights that have a scheme; static mode leaves weights alone. */
  protected override paramValue(p: Param, value: tf.Tensor): tf.Tensor {
    const s = this.mode === 'qat' ? this.weightSchemes.get(p.name) : undefined;
    return s ? fakeQuantMinMax(value, s) : value;
  }

  /**
   * Static mode observes activations while calibrating; QAT observes them in training (or until
   * first seen) and fake-quantizes them with the observer's current parameters.
   */
  protected override nodeOutput(nodeId: NodeId, value: tf.Tensor, training: boolean): tf.Tensor {
    const obs = this.observers.get(nodeId);
    if (this.mode === 'static') {
      if (this.observing) obs?.observe(value);
      return value;
    }
    if (!obs) return value;
    if (training || obs.count === 0) obs.observe(value);
    return fakeQuant(value, obs.qparams());
  }

  /**
   * Runs the data through the model in inference mode while the activation observers record it.
   * Batches yielded by an iterable are disposed after use (like core's `train`); a single tensor is not.
   * @throws BonsaiError QUANTIZE when the data holds no samples.
   */
  calibrate(data: CalibrationData, options: CalibrateOptions = {}): { batches: number; samples: number } {
    const bs = options.batchSize ?? 128;
    if (!Number.isInteger(bs) || bs < 1) throw new ConfigError(`calibrate: batchSize must be a positive integer, got ${bs}`);
    const iterable = (v: unknown): boolean => typeof (v as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] === 'function';
    if (!(data instanceof tf.Tensor) && !iterable(data)) {
      throw new ConfigError(`calibrate: data must be a tensor or an iterable of tensors or { x } batches, got ${data === null ? 'null' : typeof data}`, { option: 'data' });
    }
    const max = options.maxBatches ?? Infinity;
    let batches = 0;
    let samples = 0;
    const step = (x: tf.Tensor): void => {
      if (x.shape[0] === 0) return;
      const out = this.run(x);
      tf.dispose([out.output, ...out.outputs]);
      batches++;
      samples += x.shape[0]!;
    };
    this.observing = true;
    try {
      if (data instanceof tf.Tensor) {
        const n = data.shape[0] ?? 0;
        for (let i = 0; i < n && batches < max; i += bs) {
          const xb = tf.slice(data, [i], [Math.min(bs, n - i)]);
          try {
            step(xb);
          } finally {
            xb.dispose();
          }
        }
      } else {
        for (const item of data) {
          const x = item instanceof tf.Tensor ? item : item.x;
          try {
            if (batches < max) step(x);
          } finally {
            if (item instanceof tf.Tensor) item.dispose();
            else tf.dispose(Object.values(item).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
          }
          if (batches >= max) break;
        }
      }
    } finally {
      this.observing = false;
    }
    if (samples === 0) throw new ConfigError('calibrate: the calibration data holds no samples', { batches }, { code: 'QUANTIZE' });
    return { batches, samples };
  }

  /** Converts to a quantized model (this model is left as is; dispose it when done). */
  convert(): QuantizedModel {
    const acts = new Map<NodeId, QParams>();
    for (const [id, obs] of this.observers) acts.set(id, obs.qparams());
    const weights = new Map<string, QParams>();
    for (const [name, scheme] of this.weightSchemes) {
      // QAT trained against min/max weight ranges, so convert with the same rule.
      weights.set(name, observeWeight(this.params.get(name)!, this.mode === 'qat' ? 'minmax' : this.weightObserver, scheme, name));
    }
    return buildQuantizedModel(this, this.mode, weights, acts);
  }
}

function prepare(model: Model, options: QuantizeOptions, mode: 'static' | 'qat'): PreparedModel {
  const actScheme = activationScheme(options);
  const base = options.foldBatchNorm === false ? model.clone() : foldBatchNorm(model);
  try {
    const weights = weightTargets(base, options);
    const observers = new Map<NodeId, Observer>();
    const spec = options.activations?.observer ?? (mode === 'qat' ? 'movingAverage' : 'minmax');
    const targets = activationTargets(base.graph, options);
    const overrides = options.activationObservers ?? {};
    for (const id of Object.keys(overrides)) {
      if (!targets.includes(id)) throw new ConfigError(`activationObservers: "${id}" is not a quantized activation node`, { nodeId: id, option: 'activationObservers' });
    }
    for (const id of targets) observers.set(id, createObserver(overrides[id] ?? spec, actScheme, id));
    const weightObserver = options.weights?.observer ?? 'minmax';
    // Validate the weight observer spec up front.
    for (const [name, s] of weights) createObserver(weightObserver, s, name);
    return new PreparedModel(base.graph, base.params, base.seed, mode, weights, observers, weightObserver);
  } catch (e) {
    base.dispose();
    throw e;
  }
}

/**
 * Prepares post-training static quantization (torch.ao `prepare`): folds batch norm, picks the
 * weights and activation nodes to quantize and attaches observers. Then `calibrate(data)` and
 * `convert()`. The input model is not modified.
 */
export function prepareStatic(model: Model, options: QuantizeOptions = {}): PreparedModel {
  return prepare(model, options, 'static');
}

/**
 * Prepares quantization-aware training (torch.ao `prepare_qat`, tfmot `quantize_model`): the
 * returned model fake-quantizes weights and activations with straight-through gradients; train
 * it with core's `train()` (a few epochs at a low learning rate), then `convert()`.
 */
export function prepareQat(model: Model, options: QuantizeOptions = {}): PreparedModel {
  return prepare(model, options, 'qat');
}

/** Free-function form of {@link PreparedModel.calibrate}. */
export function calibrate(prepared: PreparedModel, data: CalibrationData, options: CalibrateOptions = {}): { batches: number; samples: number } {
  if (!(prepared instanceof PreparedModel)) throw new ConfigError('calibrate: the first argument must be a PreparedModel (from prepareStatic or prepareQat)', { option: 'prepared' });
  return prepared.calibrate(data, options);
}

/** Free-function form of {@link PreparedModel.convert} (torch.ao `convert`). */
export function convert(prepared: PreparedModel): QuantizedModel {
  return prepared.convert();
}
