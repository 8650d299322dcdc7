import { getOp, paramName, type Node, type NodeId } from '@bonsai/core';
import type { ConvertedGraph } from './import';

/** Bonsai ops that add a Const: the converter's form of TF BiasAdd / AddV2-with-a-Const. */
const ADD_CONST = new Set(['addConst']);

/**
 * Folds a per-channel (or scalar) Const added right after a bias-free op that can take a bias
 * (its spec's `foldsBatchNorm` names the bias role) into that bias: TF graphs written as
 * `Conv2D -> AddV2(const)` become one biased conv, which export writes as a fused `_FusedConv2D`.
 * The folded node takes over the TF name of the add. Mutates `g`.
 */
export function foldBiasAdds(g: ConvertedGraph): void {
  const users = new Map<NodeId, NodeId[]>();
  for (const n of g.nodes) for (const i of n.inputs) users.set(i, [...(users.get(i) ?? []), n.id]);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const replaced = new Map<NodeId, NodeId>();
  const removed = new Set<NodeId>();
  for (const add of g.nodes) {
    if (!ADD_CONST.has(add.op)) continue;
    const producer = byId.get(add.inputs[0]!);
    if (!producer || (users.get(producer.id) ?? []).length !== 1 || g.outputs.includes(producer.id)) continue;
    const spec = getOp(producer.op, producer.id);
    const fold = spec.foldsBatchNorm;
    if (!fold) continue;
    const inputShapes = producer.inputs.map((i) => g.shapes.get(i)!);
    if (spec.paramShapes(inputShapes, producer.attrs)[fold.bias]) continue;
    const out = g.shapes.get(producer.id)!;
    const c = out[out.length - 1]!;
    const shape = add.attrs.shape as readonly number[];
    const perChannel = shape.length === 0 || (shape[shape.length - 1] === c && shape.slice(0, -1).every((d) => d === 1));
    if (!perChannel) continue;
    const value = g.params.get(paramName(add.id, 'value'))!;
    const bias = value.values.length === c ? value.values : new Float32Array(c).fill(value.values[0]!);
    const folded: Node = { ...producer, attrs: fold.foldedAttrs(producer.attrs) };
    const biasSpec = spec.paramShapes(inputShapes, folded.attrs)[fold.bias];
    if (biasSpec?.shape.length !== 1 || biasSpec.shape[0] !== c) continue;
    byId.set(producer.id, folded);
    g.params.set(paramName(producer.id, fold.bias), { values: bias, shape: [c] });
    g.params.delete(paramName(add.id, 'value'));
    const tfName = g.tfNames.get(add.id);
    g.tfNames.delete(producer.id);
    if (tfName !== undefined) g.tfNames.set(producer.id, tfName);
    g.tfNames.delete(add.id);
    replaced.set(add.id, producer.id);
    removed.add(add.id);
  }
  if (removed.size === 0) return;
  const resolve = (id: NodeId): NodeId => replaced.get(id) ?? id;
  g.nodes = g.nodes.filter((n) => !removed.has(n.id)).map((n) => ({ ...byId.get(n.id)!, inputs: n.inputs.map(resolve) }));
  g.outputs = g.outputs.map(resolve);
  for (const id of removed) g.shapes.delete(id);
}
