import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, getOp, paramName, type Attrs, type ChannelChange, type Model, type NodeId, type Shape } from '@bonsai/core';

interface PendingParam {
  name: string;
  value: tf.Tensor;
  mask: tf.Tensor | undefined;
}

/**
 * Physically removes output channels from a model. `kept` maps every node whose output loses
 * channels to the positions (old numbering) of the channels it keeps; the caller (the dependency
 * graph) guarantees the map is consistent (coupled channels removed everywhere). Slices each
 * param along its `outAxis` (the node's own channels) and `inAxis` (the channels it reads; local
 * to the group for grouped convs), masks too, then adapts attributes via the ops' `adaptAttrs`
 * and re-infers shapes. All or nothing: on an error the model is unchanged.
 */
export function sliceChannels(model: Model, kept: ReadonlyMap<NodeId, readonly number[]>): void {
  const graph = model.graph;
  const pending: PendingParam[] = [];
  const attrChanges = new Map<NodeId, Attrs>();
  const expected = new Map<string, Shape>();
  try {
    for (const node of graph.nodes) {
      const outKept = kept.get(node.id);
      const inKept = node.inputs.map((i) => kept.get(i));
      if (!outKept && inKept.every((k) => !k)) continue;
      const spec = getOp(node.op, node.id);
      const inShapes = graph.inputShapes(node.id);
      const rule = spec.channelRule(inShapes, node.attrs);
      const in0 = inKept[0];
      const newParamShapes: Record<string, Shape> = {};
      for (const [role, ps] of Object.entries(graph.paramSpecs(node.id))) {
        const param = model.param(node.id, role);
        if (!param) throw new BonsaiError('PARAM', `Node "${node.id}" is missing param "${role}"`, { nodeId: node.id, param: role });
        const cuts: Array<[number, readonly number[]]> = [];
        if (ps.outAxis !== undefined && outKept) cuts.push([ps.outAxis, outKept]);
        if (ps.inAxis !== undefined && in0) {
          const inWidth = inShapes[0]![inShapes[0]!.length - 1]!;
          const local = rule.kind === 'grouped' ? in0.filter((p) => p < inWidth / rule.groups) : in0;
          cuts.push([ps.inAxis, local]);
        }
        if (cuts.length === 0) {
          newParamShapes[role] = param.shape;
          continue;
        }
        const slice = (t: tf.Tensor): tf.Tensor => tf.tidy(() => cuts.reduce((x, [axis, idx]) => tf.gather(x, tf.tensor1d([...idx], 'int32'), axis), t));
        const value = slice(param.value);
        const mask = param.mask ? slice(param.mask) : undefined;
        pending.push({ name: paramName(node.id, role), value, mask });
        newParamShapes[role] = value.shape;
        expected.set(paramName(node.id, role), value.shape);
      }
      if (spec.adaptAttrs) {
        const change: ChannelChange = {
          inputShapes: inShapes.map((s, i) => (inKept[i] ? [...s.slice(0, -1), inKept[i]!.length] : s)),
          paramShapes: newParamShapes,
          keptInputChannels: inKept,
        };
        const next = spec.adaptAttrs(node.attrs, change);
        if (next !== node.attrs) attrChanges.set(node.id, next);
      }
    }
    // Re-infer shapes (setAttrs is atomic); force a re-inference when no attribute changed.
    const first = graph.nodes[0]!;
    const oldAttrs = new Map<NodeId, Attrs>([...attrChanges.keys()].map((id) => [id, graph.node(id).attrs]));
    graph.setAttrs(attrChanges.size ? attrChanges : new Map([[first.id, first.attrs]]));
    const mismatch = findMismatch(model, expected);
    if (mismatch) {
      if (oldAttrs.size) graph.setAttrs(oldAttrs);
      throw new BonsaiError('PRUNE', `Internal error after channel pruning: ${mismatch}`);
    }
  } catch (e) {
    for (const p of pending) {
      p.value.dispose();
      p.mask?.dispose();
    }
    throw e;
  }
  for (const p of pending) {
    const param = model.params.get(p.name)!;
    // Param.replace leaks the tensor of its internal tf.cast when called outside tf.tidy (core bug):
    // replace inside a tidy, then attach the mask outside it (a tidy would dispose the new mask).
    tf.tidy(() => param.replace(p.value));
    if (p.mask) param.setMask(p.mask);
    p.value.dispose();
    p.mask?.dispose();
  }
}

function findMismatch(model: Model, expected: ReadonlyMap<string, Shape>): string | undefined {
  for (const node of model.graph.nodes) {
    for (const [role, ps] of Object.entries(model.graph.paramSpecs(node.id))) {
      const name = paramName(node.id, role);
      const got = expected.get(name) ?? model.params.get(name)?.shape;
      if (!got || got.length !== ps.shape.length || got.some((d, i) => d !== ps.shape[i])) {
        return `param "${name}" would have shape [${got?.join(', ') ?? ''}] but node "${node.id}" expects [${ps.shape.join(', ')}]`;
      }
    }
  }
  return undefined;
}
