import { getOp, type Model } from '@bonsai/core';
import { countMacs, countNonZero, countParams } from '@bonsai/eval';
import { bnScale, globalUnstructured, magnitude, Pruner } from '@bonsai/prune';
import { demoCnn, type Arch } from './cnn';
import type { Estimate, MethodId, WeightQuant } from './protocol';

/** Bytes per stored value of a kernel (rank >= 2 param) in each encoding; other params stay float32. */
const KERNEL_BYTES: Record<WeightQuant | 'int8', number> = { float32: 4, float16: 2, uint8: 1, int8: 1 };

function weightBytes(model: Model, quant: WeightQuant | 'int8'): number {
  let bytes = 0;
  for (const p of model.params.values()) bytes += p.size * (p.shape.length >= 2 ? KERNEL_BYTES[quant] : 4);
  return bytes;
}

/**
 * What a setting would give before it runs: params, MACs and non-zero weights after the method's
 * one-shot step on a throwaway clone (structured methods really remove the channels; the
 * fine-tuning that follows does not change these counts), and the weight bytes of the download.
 * The KD student is built, not trained.
 */
export function estimate(model: Model, arch: Arch | undefined, method: MethodId, ratio: number, quant: WeightQuant): Estimate {
  let m: Model;
  if (method === 'kd' && arch) {
    const keep = (w: number): number => Math.max(1, Math.round(w * (1 - ratio)));
    m = demoCnn({ widths: arch.widths.map(keep), hidden: keep(arch.hidden) });
  } else {
    m = model.clone();
    if (method === 'structured') new Pruner(m, { importance: magnitude({ p: 2 }), ratio }).step();
    if (method === 'slimming' && m.graph.nodes.some((n) => getOp(n.op).norm === 'batch')) new Pruner(m, { importance: bnScale(), ratio, global: true, maxRatio: 0.9 }).step();
    if (method === 'unstructured' || method === 'gradual') globalUnstructured(m, { amount: ratio });
  }
  try {
    const q = method === 'int8' ? (quant === 'float32' ? 'int8' : 'uint8') : quant;
    return { method, ratio, params: countParams(m), macs: countMacs(m).dense, nonZero: countNonZero(m), bytes: weightBytes(m, q) };
  } finally {
    m.dispose();
  }
}
