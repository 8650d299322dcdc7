import { bnScale, magnitude, Pruner, random, taylor, type GroupImportance } from '@bonsai/prune';
import { getOp } from '@bonsai/core';
import { modelStats } from '@bonsai/graph';
import { recalibrateBatchNorm } from '../bn-recalibration';
import { RecipeError } from '../errors';
import type { StepOf } from '../recipe';
import { partBatches } from '../stream';
import type { PipelineState, StepReport } from './state';

function criterion(step: StepOf<'prune'>, seed: number): GroupImportance {
  switch (step.importance) {
    case 'l1':
      return magnitude({ p: 1 });
    case 'l2':
      return magnitude({ p: 2 });
    case 'bnScale':
      return bnScale();
    case 'taylor':
      return taylor();
    case 'random':
      return random({ seed });
  }
}

/** Channels of weighted (conv/dense) nodes whose count changed: `{ conv1: [16, 8] }`. */
function channelChanges(before: Record<string, number>, after: Record<string, number>, state: PipelineState): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const n of state.model.graph.nodes) {
    if (getOp(n.op, n.id).weightParam !== null && before[n.id] !== after[n.id]) out[n.id] = [before[n.id]!, after[n.id]!];
  }
  return out;
}

/**
 * Structured (channel) pruning: @bonsai/prune's Pruner on @bonsai/graph's dependency graph
 * removes the least important channel groups physically, so the model gets smaller and faster.
 * Graph outputs (the classifier) and `ignored` nodes keep their channels. Batch-norm statistics
 * are re-estimated afterwards because the layers after a pruned one see different activations.
 */
export async function structuredPrune(step: StepOf<'prune'>, state: PipelineState, index: number): Promise<StepReport> {
  const { model } = state;
  for (const id of step.ignored) {
    if (!model.graph.nodes.some((n) => n.id === id)) throw new RecipeError(`no node "${id}" in the model`, `steps[${index}].ignored`);
  }
  if (step.importance === 'bnScale' && !model.graph.nodes.some((n) => getOp(n.op, n.id).norm === 'batch')) {
    throw new RecipeError('importance "bnScale" needs batch-norm layers, and this model has none', `steps[${index}].importance`);
  }
  const importance = criterion(step, state.recipe.seed);
  const before = modelStats(model);
  const pruner = new Pruner(model, {
    importance,
    ratio: step.ratio,
    global: step.global,
    iterativeSteps: step.iterativeSteps,
    ignored: [...new Set([...model.graph.outputs, ...step.ignored])],
    roundTo: step.roundTo,
  });
  let removedSteps = 0;
  try {
    while (!pruner.done) {
      if (importance.name === 'taylor') {
        // Gradients of the first taylorBatches shuffled training batches, streamed one at a time.
        let seen = 0;
        for await (const b of partBatches(state.data, state.data.train, { batchSize: state.data.batchSize, shuffle: true, seed: state.data.seed + 7 })) {
          (importance as ReturnType<typeof taylor>).accumulate(model, [b]);
          if (++seen >= step.taylorBatches) break;
        }
      }
      if (pruner.step()) removedSteps++;
    }
  } finally {
    (importance as { dispose?: () => void }).dispose?.();
  }
  const after = modelStats(model);
  const bn = await recalibrateBatchNorm(model, state.data);
  state.stage.push(`pruned ${Math.round(step.ratio * 100)}%`);
  const channels = channelChanges(before.channels, after.channels, state);
  const list = Object.entries(channels).map(([id, [a, b]]) => `${id} ${a}->${b}`).join(', ');
  return {
    summary: `structured ${step.importance} pruning (${step.global ? 'global' : 'per group'}, ${removedSteps} step(s)): params ${before.params} -> ${after.params}, MACs ${before.macs} -> ${after.macs}; channels ${list || 'unchanged'}${bn ? '; BN statistics re-estimated' : ''}`,
    details: { method: 'structured', paramsBefore: before.params, paramsAfter: after.params, macsBefore: before.macs, macsAfter: after.macs, channels },
  };
}

/** Structured pruning is wired to @bonsai/prune's Pruner. */
export const STRUCTURED_AVAILABLE: boolean = true;
