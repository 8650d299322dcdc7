import { ShapeError } from '@bonsai/core';
import { describe, expect, it } from 'vitest';
import { attentionReference, loadInt8Kernels, relaxedSimdSupported, type AttentionOptions, type Int8Kernels } from '@bonsai/int8-kernels';
import { attentionCases, attentionSetups, batchMatMulCases } from './matmul-cases';

const variants = ['simd128', ...(relaxedSimdSupported() ? ['relaxed' as const] : [])] as const;

describe.each(variants)('int8 batch matmul and attention (%s) are bit-exact to the integer reference', (variant) => {
  let kernels: Int8Kernels;
  const get = async (): Promise<Int8Kernels> => (kernels ??= await loadInt8Kernels({ variant }));

  it('lookup tables map every int8 value, resident or copied, any rank', async () => {
    const k = await get();
    const table = Int8Array.from({ length: 256 }, (_, i) => ((i * 97 + 13) % 256) - 128);
    const x = Int8Array.from({ length: 3 * 5 * 37 }, (_, i) => ((i * 31) % 256) - 128);
    const layer = k.lookup(table);
    const want = Array.from(x, (q) => table[q + 128]!);
    expect(Array.from(layer.run({ data: x, shape: [3, 5, 37] }).data)).toEqual(want);
    expect(Array.from(k.resident(() => k.read(layer.runResident({ data: x, shape: [555] }))))).toEqual(want);
    expect(() => k.lookup(new Int8Array(255))).toThrow(ShapeError);
  });

  it('batch matmul over shapes, transposed and plain operands, zero points', async () => {
    const k = await get();
    let outputs = 0;
    let clipped = 0;
    for (const c of batchMatMulCases(variant === 'simd128' ? 21 : 22, 30)) {
      expect(Array.from(c.run(k)), c.label).toEqual(Array.from(c.want));
      outputs += c.want.length;
      clipped += c.want.filter((v) => v === 127 || v === -128).length;
    }
    expect(clipped / outputs).toBeLessThan(0.3);
  });

  it('attention over token counts, widths, heads, head dims, causal masks and weight scales', async () => {
    const k = await get();
    for (const c of attentionCases(variant === 'simd128' ? 23 : 24, 16)) expect(Array.from(c.run(k)), c.label).toEqual(Array.from(c.want));
  });

  it('attention runs resident (output left in the module) with the same integers, and checks its input', async () => {
    const k = await get();
    const [{ o, x, shape }] = attentionSetups(25, 1) as [ReturnType<typeof attentionSetups>[0]];
    const layer = k.attention(o);
    const once = layer.run({ data: x, shape });
    expect(Array.from(k.resident(() => k.read(layer.runResident({ data: x, shape }))))).toEqual(Array.from(once.data));
    expect(() => layer.run({ data: x, shape: [shape[0]!, shape[1]!, shape[2]! + 1] })).toThrow(ShapeError);
  });
});

/** Float64 multi-head attention on the dequantized input and weights (what the int8 layer approximates). */
function floatAttention(x: Int8Array, shape: readonly number[], o: AttentionOptions): Float64Array {
  const [B, T, D] = shape as [number, number, number];
  const { numHeads: H, headDim: dh } = o;
  const hd = H * dh;
  const outW = o.o.weightShape[1];
  const deq = (p: AttentionOptions['q'], i: number, n: number): number => p.weights[i]! * (p.weightScales.length === 1 ? p.weightScales[0]! : p.weightScales[n]!);
  const proj = (rows: Float64Array, K: number, p: AttentionOptions['q'], N: number): Float64Array => {
    const y = new Float64Array(T * N);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) {
      let s = p.bias?.[n] ?? 0;
      for (let k = 0; k < K; k++) s += rows[t * K + k]! * deq(p, k * N + n, n);
      y[t * N + n] = s;
    }
    return y;
  };
  const y = new Float64Array(B * T * outW);
  for (let b = 0; b < B; b++) {
    const xs = Float64Array.from(x.subarray(b * T * D, (b + 1) * T * D), (v) => (v - o.input.zeroPoint) * o.input.scale);
    const [q, k, v] = [o.q, o.k, o.v].map((p) => proj(xs, D, p, hd)) as [Float64Array, Float64Array, Float64Array];
    const ctx = new Float64Array(T * hd);
    for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
      const last = o.causal ? i : T - 1;
      const s = Array.from({ length: last + 1 }, (_, j) => {
        let a = 0;
        for (let e = 0; e < dh; e++) a += q[i * hd + h * dh + e]! * k[j * hd + h * dh + e]!;
        return a * o.scale;
      });
      const m = Math.max(...s);
      const ex = s.map((z) => Math.exp(z - m));
      const sum = ex.reduce((p, c) => p + c, 0);
      for (let e = 0; e < dh; e++) ctx[i * hd + h * dh + e] = ex.reduce((p, c, j) => p + (c / sum) * v[j * hd + h * dh + e]!, 0);
    }
    y.set(proj(ctx, hd, o.o, outW), b * T * outW);
  }
  return y;
}

describe('the int8 attention reference', () => {
  it('approximates float attention on the same dequantized weights within a few output steps', () => {
    let worst = 0;
    let total = 0;
    let count = 0;
    for (const { o, x, shape } of attentionSetups(31, 12)) {
      const want = floatAttention(x, shape, o);
      const got = attentionReference(x, shape, o);
      for (let i = 0; i < got.length; i++) {
        const q = Math.min(127, Math.max(-128, Math.round(want[i]! / o.output.scale) + o.output.zeroPoint));
        const d = Math.abs(got[i]! - q);
        worst = Math.max(worst, d);
        total += d;
        count++;
      }
    }
    // Quantizing Q, K, V, P and the context adds a few output steps of error on random weights, no more.
    expect(total / count).toBeLessThan(1.5);
    expect(worst).toBeLessThanOrEqual(8);
  });
});
