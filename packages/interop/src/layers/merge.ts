import { identityLayer, lastAxis, many, plain } from './common';
import type { LayerEntry, Unexportable } from './types';

/** An elementwise merge layer (inputs of equal rank; axes equal or 1 broadcast). */
function elementwise(className: string, op: string, min = 1): LayerEntry {
  return {
    className,
    ops: [op],
    import: (ctx) => ctx.node(op, many(ctx, min), {}, ctx.layer.name),
    export: { [op]: (n) => (n.inputs.length === 1 ? identityLayer() : plain(className)) },
  };
}

const concatenate: LayerEntry = {
  className: 'Concatenate',
  ops: ['concat'],
  import: (ctx) => {
    const inputs = many(ctx);
    lastAxis(ctx, 'axis', ctx.shape(inputs[0]!).length, -1);
    return ctx.node('concat', inputs, {}, ctx.layer.name);
  },
  export: { concat: (n) => (n.inputs.length === 1 ? identityLayer() : plain('Concatenate', { axis: -1 })) },
  note: 'along the channel axis only',
};

const subtract: LayerEntry = {
  className: 'Subtract',
  ops: ['sub'],
  import: (ctx) => ctx.node('sub', many(ctx, 2), {}, ctx.layer.name),
};

/** Merge layers. Multiply broadcasts a squeeze-and-excite gate [1, 1, C] over [H, W, C]. */
export const mergeEntries: readonly LayerEntry[] = [
  elementwise('Add', 'add'),
  concatenate,
  elementwise('Multiply', 'mul'),
  subtract,
  elementwise('Maximum', 'maximum'),
  elementwise('Minimum', 'minimum'),
];

/** Merge ops without a tfjs-layers equivalent. */
export const mergeUnexportable: Unexportable = {
  sub: 'tfjs-layers 4.22 has no Subtract layer',
};
