import type { MethodId } from '../protocol';
import { gradual } from './gradual';
import { kd } from './kd';
import { int8 } from './int8';
import { slimming } from './slimming';
import { structured } from './structured';
import type { Method } from './types';
import { unstructured } from './unstructured';

/** Every method in picker order. */
export const METHODS: readonly Method[] = [
  unstructured,
  structured,
  slimming,
  gradual,
  int8,
  kd,
];

/** Looks a method up by id. */
export function methodById(id: MethodId): Method {
  const m = METHODS.find((x) => x.info.id === id);
  if (!m) throw new Error(`unknown method "${id}"`);
  return m;
}

export { BATCH_SIZE } from './types';
export type { Arch } from '../cnn';
export type { Method, MethodContext, MethodResult, Tensors } from './types';
