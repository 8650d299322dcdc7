import type { Model } from '@bonsai/core';

/** Memory the CLI lets one batch's activations take (the wasm heap is at most 4 GiB, shared with weights). */
const ACTIVATION_BUDGET = 1024 * 2 ** 20;

/**
 * The largest batch size up to `wanted` whose activations fit the budget: per sample, the sum
 * of every node's output (float32) times 4 when training (activations kept for the backward
 * pass, their gradients, the conv-gradient temporaries), times 1 for inference. A 224x224
 * MobileNetV2-class model has ~34 MiB of activations per sample: training batches of 7, not 64
 * (64 runs the wasm heap out of bounds); MNIST-sized models keep `wanted`.
 */
export function batchForMemory(model: Model, wanted: number, o: { training: boolean }): number {
  const g = model.graph;
  let floats = 0;
  for (const n of g.nodes) floats += g.shape(n.id).reduce((a, b) => a * b, 1);
  const perSample = floats * 4 * (o.training ? 4 : 1);
  return Math.max(1, Math.min(wanted, Math.floor(ACTIVATION_BUDGET / Math.max(1, perSample))));
}
