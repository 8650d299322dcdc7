import type { NodeId } from '@bonsai/core';
import { layerError } from '../errors';
import type { ExportedLayer, ImportContext } from './types';

/** `data_format` written on every spatial layer. */
export const CHANNELS_LAST = { data_format: 'channels_last' } as const;

/** The single input of a layer; an InteropError when it has several. */
export function one(ctx: ImportContext): NodeId {
  if (ctx.inputs.length !== 1) throw layerError(ctx.layer.name, ctx.layer.className, `expects exactly one input, got ${ctx.inputs.length}`);
  return ctx.inputs[0]!;
}

/** All inputs of a merge layer (at least `min`). */
export function many(ctx: ImportContext, min = 1): readonly NodeId[] {
  if (ctx.inputs.length < min) throw layerError(ctx.layer.name, ctx.layer.className, `needs at least ${min} input(s), got ${ctx.inputs.length}`);
  return ctx.inputs;
}

/** Keras `padding` of convs and pools. */
export function convPadding(ctx: ImportContext): 'same' | 'valid' {
  return ctx.cfg.oneOf('padding', ['same', 'valid'], 'valid');
}

/** Checks that Keras `axis` denotes the last (channel) axis of a per-sample shape of rank `rank`. */
export function lastAxis(ctx: ImportContext, key: string, rank: number, fallback: number | number[]): void {
  let v = ctx.cfg.raw(key) ?? fallback;
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (v !== -1 && v !== rank) ctx.cfg.fail(key, `-1 or ${rank} (the channel axis; channels_last only)`);
}

/** Weights `kernel` (+ `bias`) of a layer. */
export const kernelWeights = (useBias: unknown, kernel: string): ExportedLayer['weights'] => [{ keras: kernel, role: 'kernel' }, ...(useBias ? [{ keras: 'bias', role: 'bias' }] : [])];

/** A parameterless Keras layer. */
export const plain = (className: string, config: Record<string, unknown> = {}): ExportedLayer => ({ className, config, weights: [] });

/** The identity as a Keras layer. */
export const identityLayer = (): ExportedLayer => plain('Activation', { activation: 'linear' });

/**
 * A pair of non-negative integers per spatial axis from a Keras `padding` / `cropping` config
 * (n, [h, w] or [[top, bottom], [left, right]]), as [top, bottom, left, right].
 */
export function spatialPairs(ctx: ImportContext, key: string, fallback: number): [number, number, number, number] {
  const v = ctx.cfg.raw(key) ?? fallback;
  const nat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (nat(v)) return [v, v, v, v];
  if (Array.isArray(v) && v.length === 2) {
    const [h, w] = v as unknown[];
    if (nat(h) && nat(w)) return [h, h, w, w];
    if (Array.isArray(h) && Array.isArray(w) && h.length === 2 && w.length === 2 && [...h, ...w].every(nat)) return [h[0], h[1], w[0], w[1]] as [number, number, number, number];
  }
  return ctx.cfg.fail(key, 'n, [h, w] or [[top, bottom], [left, right]] of non-negative integers');
}
