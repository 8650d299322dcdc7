import * as tf from '@tensorflow/tfjs-core';
import { getOp, resolveInputs, type ForwardContext, type Model, type ModelInputs, type NodeId, type Param, type RunOptions, type RunResult, type Rng, type StateUpdate } from '@bonsai/core';

/** Where a quantizing executor rewrites values: weights as they are read, activations as they are made. */
export interface ExecutorHooks {
  /** Replaces the effective value of a param before its op uses it. */
  param?(p: Param, value: tf.Tensor, training: boolean): tf.Tensor;
  /** Replaces the output of a node (input nodes included) before consumers read it. */
  output?(nodeId: NodeId, value: tf.Tensor, training: boolean): tf.Tensor;
}

/** Maps the inputs of a run to input nodes and checks their shapes (as Model.run does). */
export function resolveFeeds(model: Model, inputs: ModelInputs): Map<NodeId, tf.Tensor> {
  return resolveInputs(model.graph, inputs);
}

/**
 * Runs `model`'s graph like `Model.run`, applying `hooks` to weights and activations. Ops come
 * from core's registry, so every op Bonsai knows runs here too.
 */
export function runWithHooks(model: Model, inputs: ModelInputs, options: RunOptions, hooks: ExecutorHooks, rng: Rng): RunResult {
  const training = options.training ?? false;
  const feeds = resolveFeeds(model, inputs);
  const captureSet = new Set(options.capture ?? []);
  for (const id of captureSet) model.graph.node(id);
  const pending: Array<{ nodeId: NodeId; updates: StateUpdate[] }> = [];
  return tf.tidy(() => {
    const values = new Map<NodeId, tf.Tensor>();
    for (const node of model.graph.nodes) {
      let out: tf.Tensor;
      if (node.op === 'input') out = feeds.get(node.id)!;
      else {
        const spec = getOp(node.op, node.id);
        const params: Record<string, tf.Tensor> = {};
        for (const [role, p] of Object.entries(model.nodeParams(node.id))) {
          const v = p.effective();
          params[role] = hooks.param ? hooks.param(p, v, training) : v;
        }
        const ctx: ForwardContext = { training, nodeId: node.id, rng, updates: [] };
        out = spec.forward(node.inputs.map((i) => values.get(i)!), params, node.attrs, ctx);
        if (ctx.updates.length) pending.push({ nodeId: node.id, updates: ctx.updates });
      }
      values.set(node.id, hooks.output ? hooks.output(node.id, out, training) : out);
    }
    const outputs = model.graph.outputs.map((id) => values.get(id)!);
    const captured: Record<NodeId, tf.Tensor> = {};
    for (const id of captureSet) captured[id] = values.get(id)!;
    if (training && !options.skipStateUpdates) {
      for (const { nodeId, updates } of pending) for (const u of updates) model.param(nodeId, u.param)?.value.assign(u.value);
    }
    return { output: outputs[0]!, outputs, captured };
  });
}
