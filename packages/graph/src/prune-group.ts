import { BonsaiError, getOp, paramName, type Attrs, type ChannelChange, type Model, type NodeId, type Param, type Shape, ConfigError } from '@bonsai/core';
import { checkCuts, keepAlongAxes, type AxisCut } from './slice-tensor';

interface PendingParam {
  readonly param: Param;
  readonly cuts: readonly AxisCut[];
}

/**
 * Physically removes output channels from a model (module-internal: only the dependency graph
 * builds a consistent `kept` map). `kept` maps every node whose output loses channels to the
 * positions (old numbering) of the channels it keeps. Each param is sliced along its `outAxis`
 * (the node's own channels) and its `inAxis` (the channels of input `inInput` it reads; local to
 * the group for grouped convs), masks too, in one copy per tensor. Attributes are adapted with
 * the ops' `adaptAttrs` and shapes re-inferred and checked *before* any tensor is touched, so on
 * an error the model is unchanged.
 */
export function sliceChannels(model: Model, kept: ReadonlyMap<NodeId, readonly number[] | Int32Array>): void {
  const graph = model.graph;
  const pending: PendingParam[] = [];
  const attrChanges = new Map<NodeId, Attrs>();
  const expected = new Map<string, Shape>();
  for (const node of graph.nodes) {
    const outKept = kept.get(node.id);
    const inKept = node.inputs.map((i) => kept.get(i));
    if (!outKept && inKept.every((k) => !k)) continue;
    const spec = getOp(node.op, node.id);
    const inShapes = graph.inputShapes(node.id);
    const rule = spec.channelRule(inShapes, node.attrs);
    const newParamShapes: Record<string, Shape> = {};
    for (const [role, ps] of Object.entries(graph.paramSpecs(node.id))) {
      const param = model.param(node.id, role);
      if (!param) throw new ConfigError(`Node "${node.id}" is missing param "${role}"`, { nodeId: node.id, param: role }, { code: 'PARAM' });
      const cuts: AxisCut[] = [];
      if (ps.outAxis !== undefined && outKept) cuts.push({ axis: ps.outAxis, keep: outKept });
      const slot = ps.inInput ?? 0;
      const inK = ps.inAxis !== undefined ? inKept[slot] : undefined;
      if (ps.inAxis !== undefined && inK) {
        const inWidth = widthOf(inShapes[slot]!);
        cuts.push({ axis: ps.inAxis, keep: rule.kind === 'grouped' ? inK.filter((p) => p < inWidth / rule.groups) : inK });
      }
      if (cuts.length === 0) {
        newParamShapes[role] = param.shape;
        continue;
      }
      const shape = checkCuts(param.shape, cuts);
      pending.push({ param, cuts });
      newParamShapes[role] = shape;
      expected.set(paramName(node.id, role), shape);
    }
    if (spec.adaptAttrs) {
      const change: ChannelChange = {
        inputShapes: inShapes.map((s, i) => (inKept[i] ? [...s.slice(0, -1), inKept[i]!.length] : s)),
        paramShapes: newParamShapes,
        // Read by few ops (reshape): expanded to arrays on demand.
        get keptInputChannels() {
          return inKept.map((k) => (k ? Array.from(k) : undefined));
        },
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
  // Nothing below can fail on valid cuts: slice each tensor once and swap it in. Replacing one
  // param before slicing the next lets the backend reuse the freed memory.
  for (const { param, cuts } of pending) {
    const value = keepAlongAxes(param.value, cuts);
    const mask = param.mask ? keepAlongAxes(param.mask, cuts) : undefined;
    param.replace(value, mask);
    value.dispose();
    mask?.dispose();
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

/** Channel count (last axis) of a shape; 1 for a scalar. */
export function widthOf(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}
