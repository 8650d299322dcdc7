import { InteropError } from '../errors';
import { one, plain } from './common';
import type { ExportedLayer, ImportContext, LayerEntry, ParamValues } from './types';

/** A Rescaling `scale` / `offset`: a number, or (Keras 3) nested lists broadcast against the input. */
interface Constant {
  values: Float32Array;
  shape: number[];
}

/** Reads a number or a rectangular nested list of numbers; undefined when `v` is neither. */
function readConstant(v: unknown): Constant | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? { values: Float32Array.of(v), shape: [] } : undefined;
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const parts = v.map(readConstant);
  const first = parts[0];
  if (!first || parts.some((p) => !p || p.shape.join() !== first.shape.join())) return undefined;
  const values = new Float32Array(parts.length * first.values.length);
  parts.forEach((p, i) => values.set(p!.values, i * first.values.length));
  return { values, shape: [parts.length, ...first.shape] };
}

/** `values` as a number (shape []) or nested lists of `shape`, as a Keras config holds them. */
function nested(values: Float32Array, shape: readonly number[], at = 0): number | unknown[] {
  if (shape.length === 0) return values[at]!;
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nested(values, shape.slice(1), at + i * inner));
}

/**
 * Keras `Rescaling`: `x * scale + offset`. Numbers import as `rescale`; per-channel (or any
 * broadcasting) lists, which Keras 3 accepts and stock tfjs-layers 4.22 broadcasts, import as
 * frozen `mulConst` / `addConst` (the one that is the identity is left out).
 */
function importRescaling(ctx: ImportContext): string {
  const { cfg, layer } = ctx;
  const x = one(ctx);
  const scale = readConstant(cfg.raw('scale') ?? 1) ?? cfg.fail('scale', 'a number or nested lists of numbers');
  const offset = readConstant(cfg.raw('offset') ?? 0) ?? cfg.fail('offset', 'a number or nested lists of numbers');
  if (scale.shape.length === 0 && offset.shape.length === 0) return ctx.node('rescale', [x], { scale: scale.values[0]!, offset: offset.values[0]! }, layer.name);
  const needsMul = scale.values.some((v) => v !== 1);
  const needsAdd = offset.values.some((v) => v !== 0) || !needsMul;
  let id = x;
  if (needsMul) {
    id = ctx.node('mulConst', [id], { shape: scale.shape }, needsAdd ? ctx.derivedId('scale') : layer.name);
    ctx.fill(id, 'value', scale.values, { frozen: true });
  }
  if (needsAdd) {
    id = ctx.node('addConst', [id], { shape: offset.shape }, layer.name);
    ctx.fill(id, 'value', offset.values, { frozen: true });
  }
  return id;
}

/** A `*Const` node written as a Rescaling whose scale / offset come from its `value` param. */
function affine(form: (v: Float32Array) => { scale: Float32Array | 1; offset: Float32Array | 0 }): ExportedLayer {
  return {
    ...plain('Rescaling'),
    configFromParams(p: Readonly<Record<string, ParamValues>>) {
      const { values, shape } = p.value!;
      const { scale, offset } = form(values);
      return { scale: scale === 1 ? 1 : nested(scale, shape), offset: offset === 0 ? 0 : nested(offset, shape) };
    },
  };
}

const negate = (v: Float32Array): Float32Array => v.map((a) => -a);

const rescaling: LayerEntry = {
  className: 'Rescaling',
  ops: ['rescale', 'mulConst', 'addConst'],
  import: importRescaling,
  export: {
    rescale: (n) => plain('Rescaling', { scale: n.attrs.scale, offset: n.attrs.offset }),
    addConst: () => affine((v) => ({ scale: 1, offset: v })),
    subConst: (n) => affine((v) => (n.attrs.reversed === true ? { scale: Float32Array.from(v, () => -1), offset: v } : { scale: 1, offset: negate(v) })),
    mulConst: () => affine((v) => ({ scale: v, offset: 0 })),
    divConst: (n) => {
      if (n.attrs.reversed === true) throw new InteropError(`Node "${n.id}" (divConst): value / x is not affine in x; tfjs-layers 4.22 has no layer for it: export such models as a GraphModel`, { nodeId: n.id, op: n.op });
      return affine((v) => ({ scale: v.map((a) => 1 / a), offset: 0 }));
    },
  },
  note: 'scale and offset as numbers (`rescale`) or, as Keras 3 allows, per-channel lists (frozen `mulConst` / `addConst`); `addConst` / `subConst` / `mulConst` / `divConst` (a per-channel Normalization) export as per-channel Rescaling, `value / x` is refused',
};

/** The Rescaling layer (and the constant affine ops written as it). */
export const rescalingEntries: readonly LayerEntry[] = [rescaling];
