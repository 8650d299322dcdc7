import { fail, type TfImporter } from '../context';
import type { TfEmitter } from '../emit-context';
import { FLOAT_T } from '../tf-attrs';

function resize(method: 'bilinear' | 'nearest'): TfImporter {
  return (ctx) => {
    const size = ctx.ints(1);
    if (size.length !== 2) fail(ctx, `size must hold [h, w], got ${JSON.stringify(size)}`);
    const alignCorners = ctx.attrs.bool('align_corners', false);
    const halfPixelCenters = ctx.attrs.bool('half_pixel_centers', false);
    return [ctx.node('resize2d', [ctx.tensor(0)], { size, method, alignCorners, halfPixelCenters })];
  };
}

/** Image resizing: ResizeBilinear, ResizeNearestNeighbor (static size). */
export const resizeImporters: Record<string, TfImporter> = { ResizeBilinear: resize('bilinear'), ResizeNearestNeighbor: resize('nearest') };

/** resize2d -> ResizeBilinear / ResizeNearestNeighbor. */
export const resizeEmitters: Record<string, TfEmitter> = {
  resize2d(ctx) {
    const a = ctx.node.attrs as { size: number[]; method: string; alignCorners: boolean; halfPixelCenters: boolean };
    const size = ctx.constant(`${ctx.name}/size`, Int32Array.from(a.size), [2], 'int32');
    return ctx.emit(a.method === 'bilinear' ? 'ResizeBilinear' : 'ResizeNearestNeighbor', [ctx.inputs[0]!, size], { ...FLOAT_T, align_corners: { b: a.alignCorners }, half_pixel_centers: { b: a.halfPixelCenters } }, ctx.name);
  },
};
