import type { Rng } from '@bonsai/core';

type Container = Record<string, unknown> | unknown[];
interface Slot {
  parent: Container;
  key: string | number;
}

/** Odd values a mutation may plant anywhere. */
const ODD: readonly unknown[] = [
  null, 0, -1, 1.5, -0.5, 1e308, -1e308, NaN, Infinity, 2 ** 31, 2 ** 53, 1e9, '', 'abc', '__proto__', 'constructor', 'toString',
  true, false, [], {}, [null], [[]], { a: 1 }, [-1, 0], [1e9, 1e9], 'channels_first', 'same', 'relu', 'gelu', 'swish', 'hard_sigmoid', 'bilinear', 'float32', 'int32', [[1, 2], [3, 4]], [[-1, 0], [0, 0]],
];
const CLASS_NAMES: readonly string[] = ['LSTM', 'Conv1D', 'Lambda', 'InputLayer', 'Dense', 'Conv2D', 'Add', 'Concatenate', '__proto__', 'constructor', 'Sequential', '', 'SeparableConv2D', 'BatchNormalization',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'GlobalMaxPooling2D', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Multiply', 'Permute', 'Reshape', 'Rescaling', 'SpatialDropout2D', 'LayerNormalization'];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach((c, i) => {
        out.push({ parent: v, key: i });
        walk(c);
      });
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, c] of Object.entries(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        walk(c);
      }
    }
  };
  walk(root);
  return out;
}

const get = (s: Slot): unknown => (s.parent as Record<string | number, unknown>)[s.key];
const set = (s: Slot, v: unknown): void => {
  (s.parent as Record<string | number, unknown>)[s.key] = v;
};

/** Drops initializer/regularizer/constraint configs (ignored on import) to keep fuzz cases small. */
export function stripIgnored(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripIgnored);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, c] of Object.entries(v)) if (!/_(initializer|regularizer|constraint)$/.test(k)) out[k] = stripIgnored(c);
  return out;
}

function layersOf(j: Record<string, unknown>): Array<Record<string, unknown>> {
  const top = j.modelTopology as Record<string, unknown> | undefined;
  const cfg = top?.config as Record<string, unknown> | undefined;
  const ls = cfg?.layers;
  return Array.isArray(ls) ? (ls.filter((l) => typeof l === 'object' && l !== null) as Array<Record<string, unknown>>) : [];
}

/** Strings that name inherited members of plain objects. */
export const PROTOTYPE_NAMES: readonly unknown[] = ['__proto__', 'constructor', 'toString'];

/** Options of {@link mutateOnce}. */
export interface MutateOptions {
  /** Plant '__proto__' / 'constructor' / 'toString' as values and class names (default true). */
  prototypeNames?: boolean;
}

/** Applies one random, seeded mutation to a parsed model.json (in place). */
export function mutateOnce(j: Record<string, unknown>, rng: Rng, options: MutateOptions = {}): void {
  const protos = options.prototypeNames ?? true;
  const POOL = protos ? ODD : ODD.filter((v) => !PROTOTYPE_NAMES.includes(v));
  const CLASSES = protos ? CLASS_NAMES : CLASS_NAMES.filter((v) => !PROTOTYPE_NAMES.includes(v));
  const all = slots(j);
  const s = all.length > 0 ? pick(rng, all) : undefined;
  const layers = layersOf(j);
  switch (Math.floor(rng() * 10)) {
    case 0: // delete a key / element
      if (s) Array.isArray(s.parent) ? s.parent.splice(s.key as number, 1) : delete (s.parent as Record<string, unknown>)[s.key as string];
      break;
    case 1: // replace by an odd value
      if (s) set(s, structuredClone(pick(rng, POOL)));
      break;
    case 2: {
      // numbers -> strings / negatives / huge values
      const nums = all.filter((x) => typeof get(x) === 'number');
      if (nums.length) {
        const n = pick(rng, nums);
        const v = get(n) as number;
        set(n, pick(rng, [String(v), -v, v * 1e9, v + 0.5, 0, -1, 2 ** 31, Number.MAX_SAFE_INTEGER * 4, null]));
      }
      break;
    }
    case 3: {
      // truncate an array
      const arrs = all.map(get).filter(Array.isArray) as unknown[][];
      if (arrs.length) {
        const a = pick(rng, arrs);
        a.length = Math.floor(rng() * a.length);
      }
      break;
    }
    case 4: // change a class name
      if (layers.length) pick(rng, layers).class_name = pick(rng, CLASSES);
      break;
    case 5: {
      // duplicate layer names
      if (layers.length > 1) {
        const a = pick(rng, layers);
        const b = pick(rng, layers);
        a.name = b.name;
        if (typeof a.config === 'object' && a.config !== null) (a.config as Record<string, unknown>).name = b.name;
      }
      break;
    }
    case 6: {
      // cyclic (or forward) inbound nodes
      if (layers.length > 1) {
        const i = Math.floor(rng() * (layers.length - 1));
        const k = i + 1 + Math.floor(rng() * (layers.length - 1 - i));
        layers[i]!.inbound_nodes = [[[layers[k]!.name, 0, 0, {}]]];
      }
      break;
    }
    case 7: {
      // huge shapes: manifest entries, input shapes, filters/units
      const shapes = all.filter((x) => ['shape', 'batch_input_shape', 'target_shape', 'kernel_size', 'padding', 'cropping', 'size', 'dims', 'shared_axes'].includes(String(x.key)));
      if (shapes.length) {
        const t = pick(rng, shapes);
        set(t, pick(rng, [[2 ** 30, 2 ** 30], [null, 1e6, 1e6, 3], [1e9], [0, 1e12], [2 ** 53, 2], [-1, -1]]));
      } else if (s) set(s, 1e9);
      const counts = all.filter((x) => ['filters', 'units', 'depth_multiplier'].includes(String(x.key)));
      if (counts.length && rng() < 0.5) set(pick(rng, counts), pick(rng, [1e9, 2 ** 40, 0, -3]));
      break;
    }
    case 8: {
      // manifest dtypes / quantization / names
      const ws = all.filter((x) => x.key === 'dtype' || x.key === 'name' || x.key === 'quantization');
      if (ws.length) {
        const w = pick(rng, ws);
        set(w, w.key === 'quantization' ? pick(rng, [{ dtype: 'uint8', scale: 0.1, min: 0 }, { dtype: 'int8' }, { dtype: 'float16' }, { dtype: 'uint16' }, null]) : pick(rng, POOL));
      }
      break;
    }
    default: {
      // type swaps: arrays <-> objects, strings <-> numbers
      if (!s) break;
      const v = get(s);
      set(s, Array.isArray(v) ? { ...v } : typeof v === 'object' && v !== null ? Object.values(v) : typeof v === 'string' ? v.length : typeof v === 'number' ? [v] : String(v));
    }
  }
}
