import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, createRng, initBackend, type Rng } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importGraphModelArtifacts, supportedGraphOps } from '../src/index';
import { TfGraphBuilder } from './graph-model-builder';
import { OP_CASES } from './graph-model-cases';
import { mutateOnce } from './mutate';

const CASES = 9_000;

let bases: Array<{ text: string; weights: ArrayBuffer }>;

beforeAll(async () => {
  await initBackend('wasm');
  bases = OP_CASES.map((c) => {
    const b = new TfGraphBuilder(5);
    const art = b.build(c.build(b));
    return { text: JSON.stringify(art.modelJson), weights: art.weights as ArrayBuffer };
  });
});

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const OPS = [...supportedGraphOps(), 'NonMaxSuppressionV5', 'Enter', 'Merge', 'TopKV2', 'Cast', '__proto__', 'constructor', ''];

type TfNodeJson = { name: string; op: string; input?: string[]; attr?: Record<string, unknown> };

/** GraphModel-specific mutations: ops, wiring, attrs, manifest entries. */
function mutateGraph(json: Record<string, unknown>, rng: Rng): void {
  const topo = json.modelTopology as { node?: unknown } | undefined;
  const nodes = Array.isArray(topo?.node) ? (topo!.node as TfNodeJson[]).filter((n) => typeof n === 'object' && n !== null) : [];
  const manifest = Array.isArray(json.weightsManifest) ? (json.weightsManifest as Array<{ weights?: unknown }>) : [];
  const weights = manifest.flatMap((g) => (Array.isArray(g?.weights) ? (g.weights as Array<Record<string, unknown>>).filter((w) => typeof w === 'object' && w !== null) : []));
  if (nodes.length === 0) return;
  const n = pick(rng, nodes);
  switch (Math.floor(rng() * 8)) {
    case 0:
      n.op = pick(rng, OPS);
      break;
    case 1: // rewire an input: another node, a missing one, a forward reference (cycle), an output index
      if (Array.isArray(n.input) && n.input.length > 0) n.input[Math.floor(rng() * n.input.length)] = pick(rng, [pick(rng, nodes).name, 'missing', `${pick(rng, nodes).name}:${Math.floor(rng() * 3)}`, n.name, '^ctrl']);
      break;
    case 2: // drop or duplicate inputs
      if (Array.isArray(n.input)) rng() < 0.5 ? n.input.pop() : n.input.push(...n.input);
      break;
    case 3: // corrupt an attribute
      if (n.attr && typeof n.attr === 'object' && !Array.isArray(n.attr)) {
        const keys = Object.keys(n.attr);
        if (keys.length > 0) n.attr[pick(rng, keys)] = pick(rng, [{ s: '!!' }, { i: 'x' }, { i: '-3' }, { f: 'NaN' }, { list: { i: ['0', '0'] } }, { list: { s: ['UmVsdQ=='] } }, { b: 1 }, { type: 'DT_STRING' }, {}, null, 7]);
      }
      break;
    case 4: // manifest entry shape / dtype / quantization / name
      if (weights.length > 0) {
        const w = pick(rng, weights);
        const k = pick(rng, ['shape', 'dtype', 'quantization', 'name']);
        w[k] = k === 'shape' ? pick(rng, [[], [0], [1e9], [2 ** 31, 2], [-1], [3, 3]]) : k === 'dtype' ? pick(rng, ['int32', 'float16', 'bool', 'string', 'float32']) : k === 'name' ? pick(rng, nodes).name : pick(rng, [{ dtype: 'uint8', scale: 0.01, min: -1 }, { dtype: 'uint16', scale: 1e-4, min: 0 }, { dtype: 'float16' }, { dtype: 'int8' }, { dtype: 'uint8' }]);
      }
      break;
    case 5: // swap two manifest entries (wrong bytes for a Const)
      if (weights.length > 1) {
        const [a, b] = [pick(rng, weights), pick(rng, weights)];
        const t = a.name;
        a.name = b.name;
        b.name = t;
      }
      break;
    case 6: // signature outputs
      json.signature = pick(rng, [{ outputs: { y: { name: `${pick(rng, nodes).name}:0` } } }, { outputs: { y: { name: 'nope:0' } } }, { inputs: 3 }, null, []]);
      break;
    default: // placeholder shapes
      for (const p of nodes.filter((x) => x.op === 'Placeholder')) if (p.attr && typeof p.attr === 'object') p.attr.shape = pick(rng, [{ shape: { dim: [{ size: '-1' }, { size: '-1' }] } }, { shape: { unknownRank: true } }, { shape: { dim: [{ size: '2' }, { size: '3' }, { size: '3' }, { size: '4' }] } }, { shape: { dim: [{ size: '1' }, { size: '1e9' }] } }]);
  }
}

describe('fuzzing GraphModel model.json and weights', () => {
  it(`${CASES} seeded mutations: only typed errors, no leak`, () => {
    const rng = createRng(20261201);
    const before = tf.memory().numTensors;
    const crashes: string[] = [];
    const codes = new Map<string, number>();
    let imported = 0;
    for (let i = 0; i < CASES; i++) {
      const base = bases[i % bases.length]!;
      const json = JSON.parse(base.text) as Record<string, unknown>;
      const n = 2 + Math.floor(rng() * 2);
      for (let k = 0; k < n; k++) (rng() < 0.5 ? mutateGraph : mutateOnce)(json, rng);
      let weights = base.weights;
      const r = rng();
      if (r < 0.05) weights = weights.slice(0, Math.floor(rng() * weights.byteLength));
      else if (r < 0.1) {
        // flip bytes: values change, sizes stay (NaN and Inf weights must still import or fail typed)
        const bytes = new Uint8Array(weights.slice(0));
        for (let k = 0; k < 4; k++) bytes[Math.floor(rng() * bytes.length)] = Math.floor(rng() * 256);
        weights = bytes.buffer;
      }
      try {
        const m = importGraphModelArtifacts({ modelJson: json, weights });
        m.dispose();
        imported++;
      } catch (e) {
        if (e instanceof BonsaiError) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        else crashes.push(`#${i} ${(e as Error)?.name}: ${(e as Error)?.message} ${(e as Error)?.stack?.split("\n").slice(1, 4).join(" | ")}`);
      }
    }
    expect(crashes.slice(0, 5)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    expect(imported).toBeGreaterThan(CASES / 20);
    console.log(`GraphModel fuzz: ${imported} imported, errors by code ${JSON.stringify(Object.fromEntries(codes))}`);
    // Both kinds of refusal occur: unsupported structure (INTEROP, naming node and op) and bad files (SERIALIZATION).
    expect(codes.get('INTEROP') ?? 0).toBeGreaterThan(CASES / 20);
    expect(codes.get('SERIALIZATION') ?? 0).toBeGreaterThan(CASES / 20);
  });
});
