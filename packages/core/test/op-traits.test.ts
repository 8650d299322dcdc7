import { describe, expect, it } from 'vitest';
import { getOp, listOps, sizeOf, type Attrs, type OpSpec, type Shape } from '../src/index';

const isBool = (v: unknown): boolean => typeof v === 'boolean';

/** A small input and attributes per op that folds a batch norm (checked below). */
const foldSamples: Record<string, { input: Shape; attrs: Attrs }> = {
  conv2d: { input: [5, 5, 3], attrs: { filters: 4, kernel: 3 } },
  depthwiseConv2d: { input: [5, 5, 3], attrs: { kernel: 3, multiplier: 2 } },
  dense: { input: [6], attrs: { units: 4 } },
};

describe('op registry traits', () => {
  const ops = listOps().map((name) => [name, getOp(name)] as const);

  it('every registered op states every trait', () => {
    expect(ops.length).toBeGreaterThan(15);
    for (const [name, spec] of ops) {
      const s = spec as OpSpec & Record<string, unknown>;
      const where = `op "${name}"`;
      expect(s.name, where).toBe(name);
      expect(typeof s.attrSchema === 'object' && s.attrSchema !== null, `${where}: attrSchema`).toBe(true);
      for (const [key, field] of Object.entries(spec.attrSchema)) {
        expect(typeof field.read, `${where}: attrSchema.${key}.read`).toBe('function');
        expect(isBool(field.optional), `${where}: attrSchema.${key}.optional`).toBe(true);
      }
      expect(isBool(s.graphInput), `${where}: graphInput`).toBe(true);
      expect(s.norm === null || s.norm === 'batch' || s.norm === 'layer', `${where}: norm`).toBe(true);
      expect(s.weightParam === null || typeof s.weightParam === 'string', `${where}: weightParam`).toBe(true);
      expect(isBool(s.quantPassthrough), `${where}: quantPassthrough`).toBe(true);
      expect(isBool(s.fusedActivation), `${where}: fusedActivation`).toBe(true);
      expect(s.foldsBatchNorm === null || typeof s.foldsBatchNorm === 'object', `${where}: foldsBatchNorm`).toBe(true);
      for (const f of ['normalizeAttrs', 'inferShape', 'paramShapes', 'forward', 'macs', 'channelRule'] as const) {
        expect(typeof s[f], `${where}: ${f}`).toBe('function');
      }
    }
  });

  it('exactly one graph-input op; fused activations pass their grid through', () => {
    expect(ops.filter(([, s]) => s.graphInput).map(([n]) => n)).toEqual(['input']);
    for (const [name, s] of ops) if (s.fusedActivation) expect(s.quantPassthrough, name).toBe(true);
  });

  it('normalizeAttrs is derived from the schema: it returns no attribute the schema lacks and rejects bad values by name', () => {
    for (const [name, spec] of ops) {
      const required = Object.entries(spec.attrSchema).filter(([, f]) => !f.optional);
      if (required.length > 0) {
        expect(() => spec.normalizeAttrs({}), `op "${name}" without "${required[0]![0]}"`).toThrow(required[0]![0]);
        continue;
      }
      const attrs = spec.normalizeAttrs({});
      for (const key of Object.keys(attrs)) expect(Object.keys(spec.attrSchema), `op "${name}"`).toContain(key);
    }
    expect(() => getOp('conv2d').normalizeAttrs({ filters: 2, kernel: 3, padding: 'full' })).toThrow(/conv2d: attribute "padding" must be "same" or "valid"/);
    expect(getOp('maxPool').normalizeAttrs({ pool: 3 })).toEqual({ pool: [3, 3], strides: [3, 3], padding: 'valid' });
  });

  it('ops that fold a batch norm name their kernel and scale it per output channel', () => {
    for (const [name, spec] of ops) {
      const fold = spec.foldsBatchNorm;
      if (!fold) continue;
      const sample = foldSamples[name];
      expect(sample, `op "${name}" folds batch norm: add a sample to foldSamples`).toBeDefined();
      const attrs = spec.normalizeAttrs(sample!.attrs);
      const out = spec.inferShape([sample!.input], attrs);
      const params = spec.paramShapes([sample!.input], spec.foldsBatchNorm!.foldedAttrs(attrs));
      const kernel = params[fold.kernel];
      expect(kernel, name).toBeDefined();
      expect(spec.weightParam, name).toBe(fold.kernel);
      expect(params[fold.bias]?.shape, `${name}: folded attrs create the bias`).toEqual([out[out.length - 1]]);
      const scale = fold.scaleShape(kernel!.shape);
      // The factor has one entry per output channel and broadcasts against the kernel's trailing axes.
      expect(sizeOf(scale), name).toBe(out[out.length - 1]);
      expect(kernel!.shape.slice(kernel!.shape.length - scale.length), name).toEqual(scale);
    }
  });
});
