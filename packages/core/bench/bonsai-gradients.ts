/**
 * Core's bench loads @tensorflow/tfjs-layers, whose copy of tfjs-core registers tfjs's own
 * gradients before core's: core's timings run with Bonsai's gradients swapped in
 * (`registerGradients({ replace: true })`, as an app that loads tfjs-layers would call it).
 */
import { registerGradient } from '@tensorflow/tfjs-core';
import type { Core } from './deps';

/** Runs `fn` with Bonsai's gradients registered, then puts back those it replaced (tfjs's). */
export async function withBonsaiGradients<T>(core: Core, fn: () => Promise<T>): Promise<T> {
  const replaced = core.registerGradients({ replace: true });
  try {
    return await fn();
  } finally {
    for (const g of replaced) registerGradient(g);
  }
}
