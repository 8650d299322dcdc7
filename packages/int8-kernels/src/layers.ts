import { BackendError, ConfigError, ShapeError } from '@bonsai/core';
import { attentionLayer, type AttentionPacking } from './attention-layer';
import type { AttentionOptions } from './attention-math';
import { convGeometry, type ConvGeometry, type WindowOptions } from './geometry';
import { batchMatMulDims, batchMatMulRequant, type BatchMatMulOptions, matmulCore, type MatmulContext, splatEpilogue } from './matmul';
import { Arena, dotAddExact, instantiateKernels, type InstantiateOptions, type KernelExports, type KernelVariant } from './module';
import type { Int8LayerFactory } from './reference';
import { type ActivationQuant, type FusedActivation, requantConstants, type Requant, type RequantOptions } from './requant';

/** An int8 tensor: row-major values and shape (NHWC for images). */
export interface Int8Tensor {
  readonly data: Int8Array;
  readonly shape: readonly number[];
}

/**
 * An int8 tensor held in a kernel instance's memory, `offset` bytes in: what layers pass to each
 * other inside {@link Int8Kernels.resident} (no copy out of and back into the module per layer).
 * Valid until that scope ends; {@link Int8Kernels.read} copies it out.
 */
export interface ResidentTensor {
  readonly offset: number;
  readonly shape: readonly number[];
}

/** An input of a layer's resident run: a tensor in JavaScript memory or one already in the module. */
export type Int8Input = Int8Tensor | ResidentTensor;

/** True when `x` is held in the module's memory. */
export const isResident = (x: Int8Input): x is ResidentTensor => 'offset' in x;

/** A prepared int8 layer: weights packed once in the module's memory. */
export interface Int8Layer {
  /** Runs the layer on an int8 input whose zero point is the one the layer was built for. */
  run(x: Int8Tensor): Int8Tensor;
  /** The same, output left in the module's memory (only inside {@link Int8Kernels.resident}; WASM kernels only). */
  runResident?(x: Int8Input): ResidentTensor;
  /** Output shape for an input shape. */
  outputShape(inputShape: readonly number[]): number[];
  /** Which GEMM the layer uses ('relaxed' only when the engine has relaxed SIMD and the weights fit it). */
  readonly path: KernelVariant | 'depthwise' | 'reference';
}

/** A layer of the WASM kernels: it always has {@link Int8Layer.runResident}. */
export type WasmInt8Layer = Int8Layer & { runResident(x: Int8Input): ResidentTensor };

/** Options of {@link Int8Kernels.conv2d}. */
export interface Conv2dOptions extends RequantOptions, WindowOptions {
  /** Integer weights [kh][kw][cin][cout] in [-128, 127] (tfjs conv2d filter layout). */
  weights: ArrayLike<number>;
  /** [kh, kw, cin, cout]. */
  weightShape: readonly [number, number, number, number];
}

/** Options of {@link Int8Kernels.depthwiseConv2d} (channel multiplier 1). */
export interface DepthwiseOptions extends RequantOptions, WindowOptions {
  /** Integer weights [kh][kw][c] (tfjs depthwise filter [kh, kw, c, 1]). */
  weights: ArrayLike<number>;
  /** [kh, kw, c, 1]. */
  weightShape: readonly [number, number, number, number];
}

/** Options of {@link Int8Kernels.dense}. */
export interface DenseOptions extends RequantOptions {
  /** Integer weights [in][units]. */
  weights: ArrayLike<number>;
  /** [in, units]. */
  weightShape: readonly [number, number];
}

/** Options of {@link Int8Kernels.add}: the grids of both inputs and of the output. */
export interface AddOptions {
  a: ActivationQuant;
  b: ActivationQuant;
  output: ActivationQuant;
  /** Fused activation (default 'none'). */
  activation?: FusedActivation;
  /** Output integer range (default [-128, 127]). */
  qmin?: number;
  qmax?: number;
}

/** A prepared elementwise int8 layer of two inputs of the same shape. */
export interface Int8BinaryLayer {
  run(a: Int8Tensor, b: Int8Tensor): Int8Tensor;
  /** The same, output left in the module's memory (see {@link Int8Layer.runResident}). */
  runResident?(a: Int8Input, b: Int8Input): ResidentTensor;
}

/** Options of {@link Int8Kernels.globalAvgPool}: the input's and the output's grids. */
export interface GlobalAvgPoolOptions {
  input: ActivationQuant;
  output: ActivationQuant;
  /** Output integer range (default [-128, 127]). */
  qmin?: number;
  qmax?: number;
}

/** The requantization of a global average pool over `pixels` pixels: one multiplier f32(sx / (pixels · sy)), no bias. */
export function globalAvgPoolRequant(o: GlobalAvgPoolOptions, pixels: number): Requant {
  return requantConstants({ input: o.input, output: o.output, weightScales: [1 / pixels], qmin: o.qmin ?? -128, qmax: o.qmax ?? 127 }, 1);
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Clamp range of an add (checks the grids; one weight scale of 1 stands in for the requant check). */
export function addRange(o: AddOptions): { lo: number; hi: number } {
  const rq = requantConstants({ input: o.a, output: o.output, weightScales: [1], activation: o.activation ?? 'none', qmin: o.qmin ?? -128, qmax: o.qmax ?? 127 }, 1);
  requantConstants({ input: o.b, output: o.output, weightScales: [1] }, 1);
  return { lo: rq.lo, hi: rq.hi };
}

/** Bytes of int16 rows widened at a time (a cache-sized chunk). */
const CHUNK_BYTES = 128 * 1024;

/** Output rows per im2col band: as many as fit {@link CHUNK_BYTES} (at least one). */
const bandRows = (outH: number, outW: number, rowBytes: number): number => Math.max(1, Math.min(outH, Math.floor(CHUNK_BYTES / (outW * rowBytes))));

const round = (v: number, m: number): number => Math.ceil(v / m) * m;

/** A lookup table holds 256 int8 values. */
export function checkTable(table: Int8Array): void {
  if (!(table instanceof Int8Array) || table.length !== 256) throw new ShapeError(`lookup: the table must be an Int8Array of 256 values, got ${table.length}`);
}

function checkWeights(w: ArrayLike<number>, count: number): void {
  if (w.length !== count) throw new ShapeError(`weights hold ${w.length} values, weightShape needs ${count}`);
  for (let i = 0; i < w.length; i++) {
    const v = w[i]!;
    if (!Number.isInteger(v) || v < -128 || v > 127) throw new ConfigError(`weights[${i}] = ${v} is not an int8 integer`, { option: 'weights' });
  }
}

/**
 * The int8 kernels of one WebAssembly instance. Create with {@link loadInt8Kernels}; build layers
 * once (weights are packed into the module's memory) and run them many times.
 */
export class Int8Kernels implements Int8LayerFactory {
  private readonly arena: Arena;
  /**
   * The relaxed GEMM's instruction: 'dot-add' (`i32x4.relaxed_dot_i8x16_i7x16_add_s`, two per
   * 16 MACs) where a probe at load found it exact and a timing at load found it faster, else
   * 'dot-i16' (`i16x8.relaxed_dot_i8x16_i7x16_s` pairs, subtracted and widened); undefined for
   * the SIMD128 build.
   */
  readonly relaxedGemm: RelaxedGemm | undefined;

  constructor(
    /** The build in use. */
    readonly variant: KernelVariant,
    private readonly k: KernelExports,
    /** 'auto' (default): 'dot-add' when the probe finds it exact and faster; or forced. */
    relaxedGemm: RelaxedGemm | 'auto' = 'auto',
  ) {
    this.arena = new Arena(k.memory);
    if (relaxedGemm === 'dot-add' && !dotAddExact(k)) throw new BackendError('int8 kernels: this engine computes i32x4.relaxed_dot_i8x16_i7x16_add_s inexactly; use relaxedGemm \'auto\' or \'dot-i16\'', 'int8-wasm');
    this.relaxedGemm = variant !== 'relaxed' ? undefined : relaxedGemm === 'auto' ? (dotAddExact(k) && this.dotAddFaster() ? 'dot-add' : 'dot-i16') : relaxedGemm;
  }

  /**
   * Times both relaxed GEMMs on one 128 x 32 x 256 product (about 1 ms each), best of 3
   * interleaved: the accumulating dot wins where the CPU has an int8 dot instruction (AVX-VNNI,
   * Arm SDOT); on AVX2 without VNNI V8 lowers it to three instructions and it measured 1.5-2x
   * slower than the i16 form. Both are exact, so the choice changes speed only.
   */
  private dotAddFaster(): boolean {
    const [M, N, K] = [128, 32, 256];
    return this.scratch(() => {
      const a = this.arena.alloc(M * K);
      const b = this.arena.alloc(N * K * 2);
      const ep = this.arena.alloc(N * 8);
      const corr = this.arena.alloc(N * 4);
      const out = this.arena.alloc(M * N);
      new Uint8Array(this.arena.buffer, a, out + M * N - a).fill(1);
      const best = { add: Infinity, i16: Infinity };
      for (let r = 0; r < 3; r++) {
        for (const v of ['add', 'i16'] as const) {
          const f = v === 'add' ? this.k.gemmI8RelaxedAdd! : this.k.gemmI8Relaxed!;
          const t0 = performance.now();
          for (let i = 0; i < 4; i++) f(M, N, K, a, K, b, corr, ep, 0, -128, 127, out, N);
          best[v] = Math.min(best[v], performance.now() - t0);
        }
      }
      return best.add < best.i16;
    });
  }

  /** The relaxed GEMM chosen at load (see {@link relaxedGemm}). */
  private get relaxedGemmFn(): NonNullable<KernelExports['gemmI8Relaxed']> {
    return (this.relaxedGemm === 'dot-add' ? this.k.gemmI8RelaxedAdd : this.k.gemmI8Relaxed)!;
  }

  /** Bytes of module memory in use (packed weights of every layer built so far). */
  get memoryBytes(): number {
    return this.arena.used;
  }

  private copyIn(src: ArrayBufferView, bytes = src.byteLength): number {
    const p = this.arena.alloc(bytes);
    new Uint8Array(this.arena.buffer, p, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return p;
  }

  /** Multipliers then biases, `nPad` float32 each. */
  private epilogue(rq: Requant, nPad: number): number {
    const ep = new Float32Array(2 * nPad);
    ep.set(rq.mult, 0);
    ep.set(rq.bias, nPad);
    return this.copyIn(ep);
  }

  /** GEMM weights w[k][n] (k < K, n < N) packed for the available paths. */
  private gemmWeights(w: ArrayLike<number>, K: number, N: number): { kp2: number; b16: number; relaxed?: { kp4: number; b8: number; sums: Int32Array } } {
    const nPad = round(N, 8);
    const kp2 = round(K, 2);
    const b16 = new Int16Array(nPad * kp2);
    for (let n = 0; n < N; n++) {
      const blk = (n >> 3) * kp2 * 8;
      const lane = n & 7;
      for (let k = 0; k < K; k++) b16[blk + (k >> 1) * 16 + lane * 2 + (k & 1)] = w[k * N + n]!;
    }
    const out: { kp2: number; b16: number; relaxed?: { kp4: number; b8: number; sums: Int32Array } } = { kp2, b16: this.copyIn(b16) };
    let fitsRelaxed = this.variant === 'relaxed';
    for (let i = 0; fitsRelaxed && i < K * N; i++) if (w[i] === -128) fitsRelaxed = false;
    if (fitsRelaxed) {
      const kp4 = round(K, 4);
      const b8 = new Int8Array(nPad * kp4 * 2);
      const sums = new Int32Array(nPad);
      for (let n = 0; n < N; n++) {
        const blk = (n >> 3) * kp4 * 16;
        const lane = n & 7;
        for (let k = 0; k < K; k++) {
          const v = w[k * N + n]!;
          sums[n]! += v;
          const at = blk + (k >> 2) * 64 + lane * 4 + (k & 3);
          b8[at] = Math.max(v, 0);
          b8[at + 32] = Math.max(-v, 0);
        }
      }
      out.relaxed = { kp4, b8: this.copyIn(b8), sums };
    }
    return out;
  }

  /** Int32 corrections -zx * sum_k w[k][n], padded to nPad. */
  private corrections(sums: Int32Array, zx: number): number {
    const c = new Int32Array(sums.length);
    for (let n = 0; n < sums.length; n++) c[n] = -zx * sums[n]!;
    return this.copyIn(c);
  }

  private checkInput(shape: readonly number[], rank: number): void {
    if (shape.length !== rank) throw new ShapeError(`expected a rank-${rank} int8 input, got shape [${shape.join(', ')}]`);
  }

  /** Where the kernels read `x`: its offset when resident, else a copy in scratch. */
  private inputIn(x: Int8Input, rank: number): number {
    this.checkInput(x.shape, rank);
    if (isResident(x)) return x.offset;
    if (x.data.length !== size(x.shape)) throw new ShapeError(`input data holds ${x.data.length} values, shape [${x.shape.join(', ')}] needs ${size(x.shape)}`);
    return this.copyIn(x.data, x.data.byteLength + 16); // slack: kernels may read 8 bytes from the last pixel
  }

  private scratch<T>(fn: () => T): T {
    const mark = this.arena.mark();
    try {
      return fn();
    } finally {
      this.arena.release(mark);
    }
  }

  /**
   * Runs `fn` with resident layer outputs: layers' `runResident` leave their outputs in the
   * module's memory, where the next layer reads them; everything allocated in the scope is freed
   * when it returns (copy results out with {@link read} first).
   */
  resident<T>(fn: () => T): T {
    if (this.residentDepth > 0) return fn();
    this.residentDepth++;
    try {
      return this.scratch(fn);
    } finally {
      this.residentDepth--;
    }
  }

  private residentDepth = 0;

  /** A resident output of `shape` (16 bytes of slack: the kernels may read past an input's last pixel). */
  private residentOut(shape: readonly number[]): ResidentTensor {
    if (this.residentDepth === 0) throw new BackendError('int8 kernels: runResident / quantize outside kernels.resident(...)', 'int8-wasm');
    return { offset: this.arena.alloc(size(shape) + 16), shape };
  }

  /**
   * Dequantizes a resident int8 tensor to float32 f32((q - zeroPoint) · scale), the values fake
   * quantization gives, copied out of the module.
   */
  dequantize(t: ResidentTensor, q: ActivationQuant): Float32Array {
    const n = size(t.shape);
    return this.scratch(() => {
      const out = this.arena.alloc(n * 4);
      this.k.dequantizeI8(t.offset, n, q.scale, q.zeroPoint, out);
      return new Float32Array(this.arena.buffer, out, n).slice();
    });
  }

  /** Copies a resident tensor out of the module's memory. */
  read(t: ResidentTensor): Int8Array {
    return new Int8Array(this.arena.buffer, t.offset, size(t.shape)).slice();
  }

  /**
   * Quantizes float32 values to a resident int8 tensor in the module (as fake quantization rounds:
   * clamp(round_half_even(f32(v / scale)) + zeroPoint, qmin, qmax); NaN becomes the zero point).
   */
  quantize(values: Float32Array, shape: readonly number[], q: ActivationQuant & { qmin?: number; qmax?: number }): ResidentTensor {
    if (values.length !== size(shape)) throw new ShapeError(`quantize: ${values.length} values, shape [${shape.join(', ')}] needs ${size(shape)}`);
    requantConstants({ input: q, output: q, weightScales: [1] }, 1);
    const out = this.residentOut(shape);
    this.scratch(() => this.k.quantizeF32(this.copyIn(values), values.length, q.scale, q.zeroPoint, q.qmin ?? -128, q.qmax ?? 127, out.offset));
    return out;
  }

  /** A layer from its output shape and a kernel call `compute(input offset, input shape, output offset)` (scratch freed after). */
  private layer(path: Int8Layer['path'], rank: number, outputShape: (s: readonly number[]) => number[], compute: (px: number, shape: readonly number[], po: number) => void): WasmInt8Layer {
    return {
      path,
      outputShape,
      run: (x) =>
        this.scratch(() => {
          const px = this.inputIn(x, rank);
          const shape = outputShape(x.shape);
          const po = this.arena.alloc(size(shape));
          compute(px, x.shape, po);
          return { data: new Int8Array(this.arena.buffer, po, size(shape)).slice(), shape };
        }),
      runResident: (x) => {
        this.checkInput(x.shape, rank);
        const out = this.residentOut(outputShape(x.shape));
        this.scratch(() => compute(this.inputIn(x, rank), x.shape, out.offset));
        return out;
      },
    };
  }

  /** int8 conv2d (NHWC, groups 1) with int32 accumulation and fused bias + activation requantization. */
  conv2d(options: Conv2dOptions): WasmInt8Layer {
    const [kh, kw, cin, cout] = options.weightShape;
    checkWeights(options.weights, kh * kw * cin * cout);
    if (options.kernel[0] !== kh || options.kernel[1] !== kw) throw new ShapeError(`kernel [${options.kernel.join(', ')}] does not match weightShape [${options.weightShape.join(', ')}]`);
    const rq = requantConstants(options, cout);
    const K = kh * kw * cin;
    const nPad = round(cout, 8);
    const packed = this.gemmWeights(options.weights, K, cout);
    const ep = this.epilogue(rq, nPad);
    const zx = options.input.zeroPoint;
    const corr = packed.relaxed ? this.corrections(packed.relaxed.sums, zx) : 0;
    const window: WindowOptions = { kernel: [kh, kw], strides: options.strides ?? [1, 1], dilation: options.dilation ?? [1, 1], padding: options.padding ?? 'same' };
    const pointwise = kh === 1 && kw === 1 && (window.strides![0] === 1 && window.strides![1] === 1);
    const k = this.k;
    const geom = (shape: readonly number[]): ConvGeometry => {
      if (shape[3] !== cin) throw new ShapeError(`conv2d input has ${shape[3]} channels, the weights expect ${cin}`);
      return convGeometry(shape[1]!, shape[2]!, window);
    };
    const relaxed = packed.relaxed;
    const outputShape = (s: readonly number[]): number[] => {
      const g = geom(s);
      return [s[0]!, g.outH, g.outW, cout];
    };
    return this.layer(relaxed ? 'relaxed' : 'simd128', 4, outputShape, (px, shape, po) => {
      const [n, h, w] = shape as [number, number, number];
      const g = geom(shape);
      const rows = g.outH * g.outW;
      if (relaxed) {
        const gemm = this.relaxedGemmFn;
        if (pointwise && cin % 4 === 0) {
          gemm(n * rows, cout, relaxed.kp4, px, cin, relaxed.b8, corr, ep, rq.zeroPoint, rq.lo, rq.hi, po, cout);
        } else {
          const band = bandRows(g.outH, g.outW, relaxed.kp4);
          const col = this.arena.alloc(band * g.outW * relaxed.kp4 + 16); // + slack of im2colI8
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < g.outH; oy += band) {
              const oy1 = Math.min(g.outH, oy + band);
              k.im2colI8!(px + b * h * w * cin, h, w, cin, kh, kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, oy, oy1, g.outW, zx, relaxed.kp4, col);
              gemm((oy1 - oy) * g.outW, cout, relaxed.kp4, col, relaxed.kp4, relaxed.b8, corr, ep, rq.zeroPoint, rq.lo, rq.hi, po + (b * rows + oy * g.outW) * cout, cout);
            }
          }
        }
      } else if (pointwise) {
        // Widen and multiply in chunks of rows so that the int16 copy stays in cache.
        const total = n * rows;
        const chunk = Math.max(4, Math.min(total, Math.floor(CHUNK_BYTES / (packed.kp2 * 2)) & ~3));
        const col = this.arena.alloc(chunk * packed.kp2 * 2);
        for (let r0 = 0; r0 < total; r0 += chunk) {
          const m = Math.min(chunk, total - r0);
          k.widenRowsI16(px + r0 * cin, m, cin, cin, zx, packed.kp2, col);
          k.gemmI16(m, cout, packed.kp2, col, packed.b16, ep, rq.zeroPoint, rq.lo, rq.hi, po + r0 * cout, cout);
        }
      } else {
        const band = bandRows(g.outH, g.outW, packed.kp2 * 2);
        const col = this.arena.alloc(band * g.outW * packed.kp2 * 2 + 16); // + slack of im2colI16
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < g.outH; oy += band) {
            const oy1 = Math.min(g.outH, oy + band);
            k.im2colI16(px + b * h * w * cin, h, w, cin, kh, kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, oy, oy1, g.outW, zx, packed.kp2, col);
            k.gemmI16((oy1 - oy) * g.outW, cout, packed.kp2, col, packed.b16, ep, rq.zeroPoint, rq.lo, rq.hi, po + (b * rows + oy * g.outW) * cout, cout);
          }
        }
      }
    });
  }

  /** int8 depthwise conv2d (NHWC, channel multiplier 1) with fused requantization. */
  depthwiseConv2d(options: DepthwiseOptions): WasmInt8Layer {
    const [kh, kw, c, mult] = options.weightShape;
    if (mult !== 1) throw new ConfigError(`depthwiseConv2d: channel multiplier ${mult} is not supported (only 1)`, { option: 'weightShape' });
    checkWeights(options.weights, kh * kw * c);
    if (options.kernel[0] !== kh || options.kernel[1] !== kw) throw new ShapeError(`kernel [${options.kernel.join(', ')}] does not match weightShape [${options.weightShape.join(', ')}]`);
    const rq = requantConstants(options, c);
    const cPad = round(c, 8);
    const w16 = new Int16Array(kh * kw * cPad);
    for (let t = 0; t < kh * kw; t++) for (let ci = 0; ci < c; ci++) w16[t * cPad + ci] = options.weights[t * c + ci]!;
    const pw = this.copyIn(w16);
    // Tap pairs interleaved per channel for the interior loop: [T2][cPad / 8][c0 t0, c0 t1, c1 t0, ...].
    const taps = kh * kw;
    const t2 = Math.ceil(taps / 2);
    const wPairs = new Int16Array(t2 * cPad * 2);
    for (let p = 0; p < t2; p++) {
      for (let ci = 0; ci < c; ci++) {
        const at = (p * (cPad / 8) + (ci >> 3)) * 16 + (ci & 7) * 2;
        wPairs[at] = options.weights[2 * p * c + ci]!;
        wPairs[at + 1] = 2 * p + 1 < taps ? options.weights[(2 * p + 1) * c + ci]! : 0;
      }
    }
    const pwp = this.copyIn(wPairs);
    const ep = this.epilogue(rq, cPad);
    const zx = options.input.zeroPoint;
    const window: WindowOptions = { kernel: [kh, kw], strides: options.strides ?? [1, 1], dilation: options.dilation ?? [1, 1], padding: options.padding ?? 'same' };
    const geom = (shape: readonly number[]): ConvGeometry => {
      if (shape[3] !== c) throw new ShapeError(`depthwiseConv2d input has ${shape[3]} channels, the weights expect ${c}`);
      return convGeometry(shape[1]!, shape[2]!, window);
    };
    const outputShape = (s: readonly number[]): number[] => {
      const g = geom(s);
      return [s[0]!, g.outH, g.outW, c];
    };
    return this.layer('depthwise', 4, outputShape, (px, shape, po) => {
      const [n, h, w] = shape as [number, number, number];
      const g = geom(shape);
      const per = g.outH * g.outW * c;
      const scratch = this.arena.alloc(h * w * cPad * 2 + 4 * (kh * kw + 1));
      for (let b = 0; b < n; b++) {
        this.k.depthwiseI16(px + b * h * w * c, h, w, c, kh, kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.outH, g.outW, zx, pw, pwp, ep, rq.zeroPoint, rq.lo, rq.hi, po + b * per, scratch);
      }
    });
  }

  /** Elementwise int8 add of two tensors of equal shape (residual connections), fused activation included. */
  add(options: AddOptions): Int8BinaryLayer & { runResident(a: Int8Input, b: Int8Input): ResidentTensor } {
    const { lo, hi } = addRange(options);
    const check = (a: Int8Input, b: Int8Input): void => {
      if (size(a.shape) !== size(b.shape) || a.shape.some((d, i) => d !== b.shape[i])) throw new ShapeError(`add: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
    };
    const compute = (a: Int8Input, b: Int8Input, po: number): void => {
      const pa = this.inputIn(a, a.shape.length);
      const pb = this.inputIn(b, b.shape.length);
      this.k.addI8(pa, options.a.zeroPoint, options.a.scale, pb, options.b.zeroPoint, options.b.scale, size(a.shape), options.output.scale, options.output.zeroPoint, lo, hi, po);
    };
    return {
      run: (a, b) =>
        this.scratch(() => {
          check(a, b);
          const po = this.arena.alloc(a.data.length);
          compute(a, b, po);
          return { data: new Int8Array(this.arena.buffer, po, a.data.length).slice(), shape: [...a.shape] };
        }),
      runResident: (a, b) => {
        check(a, b);
        const out = this.residentOut([...a.shape]);
        this.scratch(() => compute(a, b, out.offset));
        return out;
      },
    };
  }

  /** int8 max pooling (NHWC; tfjs 'same'/'valid' padding, padded taps skipped). */
  maxPool(options: WindowOptions): WasmInt8Layer {
    const window: WindowOptions = { kernel: options.kernel, strides: options.strides ?? options.kernel, dilation: [1, 1], padding: options.padding ?? 'valid' };
    const outputShape = (s: readonly number[]): number[] => {
      const g = convGeometry(s[1]!, s[2]!, window);
      return [s[0]!, g.outH, g.outW, s[3]!];
    };
    return this.layer('simd128', 4, outputShape, (px, shape, po) => {
      const [n, h, w, c] = shape as [number, number, number, number];
      const g = convGeometry(h, w, window);
      const per = g.outH * g.outW * c;
      for (let b = 0; b < n; b++) this.k.maxPoolI8(px + b * h * w * c, h, w, c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, g.outH, g.outW, po + b * per);
    });
  }

  /** int8 global average pooling (NHWC [n, h, w, c] to [n, c]): exact int32 sums, one requantization. */
  globalAvgPool(options: GlobalAvgPoolOptions): WasmInt8Layer {
    globalAvgPoolRequant(options, 1);
    return this.layer('simd128', 4, (s) => [s[0]!, s[3]!], (px, shape, po) => {
      const [n, h, w, c] = shape as [number, number, number, number];
      const rq = globalAvgPoolRequant(options, h * w);
      this.k.globalAvgPoolI8(px, n, h * w, c, options.input.zeroPoint, rq.mult[0]!, rq.zeroPoint, rq.lo, rq.hi, po, this.arena.alloc(round(c, 8) * 4));
    });
  }

  /** What the matmul core and the attention layer use of this instance. */
  private context(): MatmulContext & AttentionPacking {
    return {
      k: this.k,
      variant: this.variant,
      alloc: (bytes) => this.arena.alloc(bytes),
      buffer: () => this.arena.buffer,
      relaxedGemm: (f32) => (f32 ? (this.relaxedGemm === 'dot-add' ? this.k.gemmI8RelaxedAddF32 : this.k.gemmI8RelaxedF32)! : this.relaxedGemmFn) as (...args: number[]) => void,
      gemmWeights: (w, K, N) => this.gemmWeights(w, K, N),
      epilogue: (rq, nPad) => this.epilogue(rq, nPad),
      corrections: (sums, zx) => this.corrections(sums, zx),
      scratch: (fn) => this.scratch(fn),
      layer: (path, rank, outputShape, compute) => this.layer(path, rank, outputShape, compute),
    };
  }

  /**
   * int8 batch matmul of two run-time tensors, [batch, m, k] x [batch, k, n] (or [batch, n, k] read
   * transposed), per-tensor grids, exact int32 accumulation of (a - za)(b - zb), requantized with
   * the multiplier f32(sa · sb / sy). The relaxed build runs it when b's zero point is 0 and b has no -128.
   */
  batchMatMul(options: BatchMatMulOptions): Int8BinaryLayer & { runResident(a: Int8Input, b: Int8Input): ResidentTensor } {
    const rq = batchMatMulRequant(options);
    const tb = options.transposeB ?? false;
    const c = this.context();
    const compute = (a: Int8Input, b: Int8Input, po: number): void => {
      const [batch, m, k, n] = batchMatMulDims(a.shape, b.shape, tb);
      const pa = this.inputIn(a, 3);
      const pb = this.inputIn(b, 3);
      const ep = splatEpilogue(c, rq.mult[0]!, round(n, 8));
      for (let i = 0; i < batch; i++) {
        this.scratch(() => matmulCore(c, { M: m, K: k, N: n, a: pa + i * m * k, lda: k, za: options.a.zeroPoint, b: pb + i * k * n, ldk: tb ? 1 : n, ldn: tb ? k : 1, zb: options.b.zeroPoint, ep, out: po + i * m * n, outStride: n, f32: false, zpOut: rq.zeroPoint, lo: rq.lo, hi: rq.hi }));
      }
    };
    const outShape = (a: readonly number[], b: readonly number[]): number[] => {
      const [batch, m, , n] = batchMatMulDims(a, b, tb);
      return [batch, m, n];
    };
    return {
      run: (a, b) =>
        this.scratch(() => {
          const shape = outShape(a.shape, b.shape);
          const po = this.arena.alloc(size(shape));
          compute(a, b, po);
          return { data: new Int8Array(this.arena.buffer, po, size(shape)).slice(), shape };
        }),
      runResident: (a, b) => {
        const out = this.residentOut(outShape(a.shape, b.shape));
        this.scratch(() => compute(a, b, out.offset));
        return out;
      },
    };
  }

  /**
   * int8 multi-head self-attention on tokens [batch, T, D] (see {@link AttentionOptions}): the four
   * projections and both batch matmuls (Q Kᵀ, P V) run on the integer GEMMs; softmax runs in float.
   */
  attention(options: AttentionOptions): WasmInt8Layer {
    return attentionLayer(this.context(), options);
  }

  /**
   * An elementwise unary op between two int8 grids as a 256-entry table (`table[q + 128]` is the
   * output of input q): exact for any op, since the input takes only 256 values. Any rank.
   */
  lookup(table: Int8Array): WasmInt8Layer {
    checkTable(table);
    const pt = this.copyIn(table);
    const compute = (x: Int8Input, po: number): void => this.k.lookupI8(this.inputIn(x, x.shape.length), size(x.shape), pt, po);
    return {
      path: 'simd128',
      outputShape: (s) => [...s],
      run: (x) =>
        this.scratch(() => {
          const po = this.arena.alloc(size(x.shape));
          compute(x, po);
          return { data: new Int8Array(this.arena.buffer, po, size(x.shape)).slice(), shape: [...x.shape] };
        }),
      runResident: (x) => {
        const out = this.residentOut([...x.shape]);
        this.scratch(() => compute(x, out.offset));
        return out;
      },
    };
  }

  /** int8 dense (matMul x [batch, in] by weights [in, units]) with fused requantization. */
  dense(options: DenseOptions): WasmInt8Layer {
    const [K, N] = options.weightShape;
    checkWeights(options.weights, K * N);
    const rq = requantConstants(options, N);
    const packed = this.gemmWeights(options.weights, K, N);
    const ep = this.epilogue(rq, round(N, 8));
    const zx = options.input.zeroPoint;
    const corr = packed.relaxed ? this.corrections(packed.relaxed.sums, zx) : 0;
    const relaxed = packed.relaxed;
    const k = this.k;
    const outputShape = (s: readonly number[]): number[] => {
      if (s[1] !== K) throw new ShapeError(`dense input has ${s[1]} features, the weights expect ${K}`);
      return [s[0]!, N];
    };
    return this.layer(relaxed ? 'relaxed' : 'simd128', 2, outputShape, (px, shape, po) => {
      const m = shape[0]!;
      if (relaxed) {
        let a = px;
        let lda = K;
        if (K % 4 !== 0) {
          lda = relaxed.kp4;
          a = this.arena.alloc(m * lda);
          const buf = new Int8Array(this.arena.buffer);
          for (let r = 0; r < m; r++) {
            buf.copyWithin(a + r * lda, px + r * K, px + (r + 1) * K);
            buf.fill(0, a + r * lda + K, a + (r + 1) * lda);
          }
        }
        this.relaxedGemmFn(m, N, relaxed.kp4, a, lda, relaxed.b8, corr, ep, rq.zeroPoint, rq.lo, rq.hi, po, N);
      } else {
        const col = this.arena.alloc(m * packed.kp2 * 2);
        k.widenRowsI16(px, m, K, K, zx, packed.kp2, col);
        k.gemmI16(m, N, packed.kp2, col, packed.b16, ep, rq.zeroPoint, rq.lo, rq.hi, po, N);
      }
    });
  }
}

/** The instruction of the relaxed GEMM (see {@link Int8Kernels.relaxedGemm}). */
export type RelaxedGemm = 'dot-add' | 'dot-i16';

/** Options of {@link loadInt8Kernels}. */
export interface LoadOptions extends InstantiateOptions {
  /** The relaxed GEMM's instruction: 'auto' (default: 'dot-add' where exact and faster), or forced. */
  relaxedGemm?: RelaxedGemm | 'auto';
}

/** Loads the int8 kernels (relaxed SIMD when the engine has it, else SIMD128; see {@link LoadOptions}). */
export async function loadInt8Kernels(options: LoadOptions = {}): Promise<Int8Kernels> {
  const { variant, exports } = await instantiateKernels(options);
  return new Int8Kernels(variant, exports, options.relaxedGemm);
}
