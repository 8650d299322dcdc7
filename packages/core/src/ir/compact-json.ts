import { getOp } from '../ops/registry';
import type { Attrs, AttrValue } from './types';
import type { Graph, GraphJSON } from './graph';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * `graph`'s JSON without the attributes that equal their op's default (strides 1, groups 1,
 * `useBias: true`, ...): a smaller model.json that `new Graph(json)` reads back to the same graph,
 * since loading fills defaults in from each op's attribute schema. A node keeps every attribute
 * unless its normalized attributes are unchanged without the dropped ones.
 */
export function compactGraphJson(graph: Graph): GraphJSON {
  const json = graph.toJSON();
  return {
    ...json,
    nodes: json.nodes.map((n) => {
      const spec = getOp(n.op, n.id);
      const kept: Record<string, AttrValue> = {};
      for (const [key, value] of Object.entries(n.attrs)) {
        const field = spec.attrSchema[key];
        let fallback: unknown;
        try {
          fallback = field?.optional ? field.read({}, key, n.op) : undefined;
        } catch {
          fallback = undefined;
        }
        if (fallback === undefined || !same(fallback, value)) kept[key] = value;
      }
      const attrs: Attrs = kept;
      return same(spec.normalizeAttrs(attrs), spec.normalizeAttrs(n.attrs)) ? { ...n, attrs } : n;
    }),
  };
}
