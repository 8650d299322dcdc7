import type * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@bonsai/core';
import type { GraphModelArtifacts } from '../src/index';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const dims = (shape: readonly number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

/** An AttrValue JSON as the converter writes it. */
export const attr = {
  s: (v: string) => ({ s: b64(v) }),
  i: (v: number) => ({ i: String(v) }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  ints: (v: readonly number[]) => ({ list: { i: v.map(String) } }),
  strs: (v: readonly string[]) => ({ list: { s: v.map(b64) } }),
  type: (v: string) => ({ type: v }),
};

/** Conv-style attributes (NHWC). */
export function convAttr(o: { strides?: number; padding?: string; dilations?: number; explicit?: number[] } = {}): Record<string, unknown> {
  const s = o.strides ?? 1;
  const d = o.dilations ?? 1;
  return {
    T: attr.type('DT_FLOAT'),
    strides: attr.ints([1, s, s, 1]),
    dilations: attr.ints([1, d, d, 1]),
    padding: attr.s(o.padding ?? 'SAME'),
    data_format: attr.s('NHWC'),
    ...(o.explicit ? { explicit_paddings: attr.ints(o.explicit) } : {}),
  };
}

/**
 * Writes a TF GraphDef in tfjs-converter's model.json form by hand (nodes, attrs, weights
 * manifest), so that stock tfjs-converter can run it as the oracle.
 */
export class TfGraphBuilder {
  private readonly nodes: Array<{ name: string; op: string; input: string[]; attr: Record<string, unknown> }> = [];
  private readonly specs: tf.io.WeightsManifestEntry[] = [];
  private readonly data: Array<Float32Array | Int32Array> = [];
  private readonly rng;

  constructor(seed = 1) {
    this.rng = createRng(seed);
  }

  /** A float placeholder of full shape (batch first). */
  placeholder(name: string, shape: readonly number[]): string {
    this.nodes.push({ name, op: 'Placeholder', input: [], attr: { dtype: attr.type('DT_FLOAT'), shape: { shape: dims(shape) } } });
    return name;
  }

  /** A Const with given values (int32 when `Int32Array`). */
  constant(name: string, values: Float32Array | Int32Array, shape: readonly number[]): string {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    const dt = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.nodes.push({ name, op: 'Const', input: [], attr: { dtype: attr.type(dt), value: { tensor: { dtype: dt, tensorShape: dims(shape) } } } });
    this.specs.push({ name, shape: [...shape], dtype });
    this.data.push(values);
    return name;
  }

  /** A float Const of seeded uniform values in [lo, hi). */
  random(name: string, shape: readonly number[], lo = -0.5, hi = 0.5): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * this.rng();
    return this.constant(name, v, shape);
  }

  /** An int32 Const. */
  ints(name: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.constant(name, Int32Array.from(values), shape);
  }

  /** Any op node. */
  op(name: string, op: string, input: readonly string[], attrs: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input: [...input], attr: { T: attr.type('DT_FLOAT'), ...attrs } });
    return name;
  }

  /** The artifacts, with a signature listing `outputs` (tensor names) when given. */
  build(outputs?: readonly string[]): GraphModelArtifacts & { modelJson: Record<string, unknown> } {
    const total = this.data.reduce((a, d) => a + d.byteLength, 0);
    const weights = new Uint8Array(total);
    let o = 0;
    for (const d of this.data) {
      weights.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), o);
      o += d.byteLength;
    }
    const placeholders = this.nodes.filter((n) => n.op === 'Placeholder');
    const signature = outputs && {
      inputs: Object.fromEntries(placeholders.map((p) => [`${p.name}:0`, { name: `${p.name}:0`, dtype: 'DT_FLOAT' }])),
      outputs: Object.fromEntries(outputs.map((n) => [n, { name: n, dtype: 'DT_FLOAT' }])),
    };
    return {
      modelJson: {
        format: 'graph-model',
        generatedBy: 'test',
        convertedBy: 'hand-written GraphDef (test/graph-model-builder.ts)',
        ...(signature ? { signature } : {}),
        modelTopology: { node: structuredClone(this.nodes), versions: { producer: 1 } },
        weightsManifest: [{ paths: ['weights.bin'], weights: structuredClone(this.specs) }],
      },
      weights: weights.buffer,
    };
  }
}
