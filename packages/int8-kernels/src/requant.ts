import { ConfigError } from '@bonsai/core';

/** Scale and zero point of a per-tensor int8 activation: x = (q - zeroPoint) * scale. */
export interface ActivationQuant {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Activation fused into a layer's requantization. */
export type FusedActivation = 'none' | 'relu' | 'relu6';

/** How a layer's int32 accumulators become int8 outputs. */
export interface RequantOptions {
  /** Quantization of the layer's input. */
  input: ActivationQuant;
  /** Quantization of the layer's output. */
  output: ActivationQuant;
  /** Weight scales, one per output channel (or one for the whole tensor); weight zero points are 0. */
  weightScales: ArrayLike<number>;
  /** Float bias per output channel (default none). */
  bias?: ArrayLike<number>;
  /** Fused activation (default 'none'). */
  activation?: FusedActivation;
  /** Output integer range (default [-128, 127]). */
  qmin?: number;
  /** Output integer range (default [-128, 127]). */
  qmax?: number;
}

/**
 * Per-channel float32 constants of the requantization and the clamp range:
 * `mult[c] = f32(sIn * sW[c] / sOut)`, `bias[c] = f32(b[c] / sOut)`; the fused activation narrows
 * [lo, hi] (ReLU: lo = max(qmin, zp); ReLU6: hi = min(qmax, zp + round(f32(6 / sOut)))).
 */
export interface Requant {
  readonly mult: Float32Array;
  readonly bias: Float32Array;
  readonly zeroPoint: number;
  readonly lo: number;
  readonly hi: number;
}

/** Round half to even, the rule of f32x4.nearest, tf.round and torch.round. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkQuant(name: string, q: ActivationQuant): void {
  if (!(q.scale > 0) || !Number.isFinite(q.scale)) throw new ConfigError(`${name}.scale must be a positive finite number, got ${q.scale}`, { option: name });
  if (!Number.isInteger(q.zeroPoint) || q.zeroPoint < -128 || q.zeroPoint > 127) throw new ConfigError(`${name}.zeroPoint must be an integer in [-128, 127], got ${q.zeroPoint}`, { option: name });
}

/** Resolves {@link RequantOptions} for `channels` output channels. */
export function requantConstants(options: RequantOptions, channels: number): Requant {
  checkQuant('input', options.input);
  checkQuant('output', options.output);
  const ws = options.weightScales;
  if (ws.length !== 1 && ws.length !== channels) throw new ConfigError(`weightScales holds ${ws.length} values, the layer has ${channels} output channels`, { option: 'weightScales' });
  if (options.bias && options.bias.length !== channels) throw new ConfigError(`bias holds ${options.bias.length} values, the layer has ${channels} output channels`, { option: 'bias' });
  const qmin = options.qmin ?? -128;
  const qmax = options.qmax ?? 127;
  if (!(Number.isInteger(qmin) && Number.isInteger(qmax) && qmin >= -128 && qmax <= 127 && qmin < qmax)) throw new ConfigError(`output range [${qmin}, ${qmax}] must be integers within [-128, 127]`, { option: 'qmin' });
  const { scale: sIn } = options.input;
  const { scale: sOut, zeroPoint } = options.output;
  const mult = new Float32Array(channels);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const sw = ws.length === 1 ? ws[0]! : ws[c]!;
    if (!(sw > 0) || !Number.isFinite(sw)) throw new ConfigError(`weightScales[${c}] must be a positive finite number, got ${sw}`, { option: 'weightScales' });
    mult[c] = (sIn * sw) / sOut;
    const b = options.bias ? options.bias[c]! : 0;
    if (!Number.isFinite(b)) throw new ConfigError(`bias[${c}] is not finite`, { option: 'bias' });
    bias[c] = b / sOut;
  }
  let lo = qmin;
  let hi = qmax;
  const act = options.activation ?? 'none';
  if (act === 'relu' || act === 'relu6') lo = Math.max(qmin, zeroPoint);
  if (act === 'relu6') hi = Math.min(qmax, zeroPoint + roundHalfEven(Math.fround(6 / sOut)));
  else if (act !== 'none' && act !== 'relu') throw new ConfigError(`activation must be 'none', 'relu' or 'relu6', got '${String(act)}'`, { option: 'activation' });
  return { mult, bias, zeroPoint, lo: Math.min(lo, hi), hi };
}

/**
 * The requantization every kernel computes, in scalar form: float32 `acc * mult + bias`, clamped
 * to [lo - zp, hi - zp], rounded half to even, plus the zero point.
 */
export function requantize(acc: number, mult: number, bias: number, rq: Requant): number {
  const f = Math.fround;
  const v = f(f(f(acc) * mult) + bias);
  return roundHalfEven(Math.min(Math.max(v, rq.lo - rq.zeroPoint), rq.hi - rq.zeroPoint)) + rq.zeroPoint;
}
