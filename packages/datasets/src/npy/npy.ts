import { DatasetError } from '../errors';

/** Element types of the `.npy` files read here (NumPy dtype names). */
export type NpyDtype = 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'uint64' | 'float16' | 'float32' | 'float64';

/** Typed arrays holding parsed values (int64/uint64 become Float64Array, float16 Float32Array). */
export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** A parsed `.npy` array in C (row-major) order. */
export interface NpyArray {
  data: NpyData;
  shape: number[];
  /** The stored dtype (before any widening of int64/uint64/float16). */
  dtype: NpyDtype;
}

const KINDS: Readonly<Record<string, NpyDtype>> = {
  b1: 'bool', u1: 'uint8', i1: 'int8', u2: 'uint16', i2: 'int16', u4: 'uint32', i4: 'int32',
  i8: 'int64', u8: 'uint64', f2: 'float16', f4: 'float32', f8: 'float64',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Parses a `.npy` file (format versions 1.0, 2.0 and 3.0 of the NumPy spec): magic, version,
 * little-endian header length, a Python-literal header dict (`descr`, `fortran_order`, `shape`),
 * then the raw values. Little- and big-endian numeric dtypes are read; Fortran-order arrays are
 * returned in C order.
 * @param name names the file in errors
 * @throws DatasetError for a bad magic, header, unsupported dtype (object, structured, strings) or a data size mismatch.
 */
export function parseNpy(bytes: Uint8Array, name = 'array.npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DatasetError('not a .npy file (missing \\x93NUMPY magic)', name);
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw new DatasetError(`unsupported .npy format version ${major}.${bytes[7] ?? 0}`, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DatasetError('truncated .npy header', name);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.length) throw new DatasetError(`truncated .npy header (${headerLength} bytes announced)`, name);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));
  const { descr, fortran, shape } = parseHeader(header, name);
  const endian = descr[0];
  const kind = KINDS[descr.slice(1)];
  if (!kind || !(endian === '<' || endian === '>' || endian === '|' || endian === '=')) {
    throw new DatasetError(`unsupported dtype ${JSON.stringify(descr)} (numeric dtypes only: bool, u1-u8, i1-i8, f2, f4, f8)`, name);
  }
  const itemSize = Number(descr.slice(2));
  const count = shape.reduce((a, b) => a * b, 1);
  const dataBytes = bytes.subarray(dataStart);
  if (dataBytes.length !== count * itemSize) {
    throw new DatasetError(`data holds ${dataBytes.length} bytes, shape [${shape.join(', ')}] of ${descr} needs ${count * itemSize}`, name);
  }
  const data = decodeValues(dataBytes, kind, itemSize, endian === '>', name);
  return { data: fortran && shape.length > 1 ? fortranToC(data, shape) : data, shape, dtype: kind };
}

/** Reads the header dict; only the three keys the spec defines are used. */
function parseHeader(header: string, name: string): { descr: string; fortran: boolean; shape: number[] } {
  const text = header.trim();
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!text.startsWith('{') || descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DatasetError(`bad .npy header ${JSON.stringify(text.slice(0, 120))} (need descr, fortran_order, shape)`, name);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      const d = Number(s);
      if (!Number.isInteger(d) || d < 0) throw new DatasetError(`bad .npy shape (${shapeText})`, name);
      return d;
    });
  return { descr, fortran: fortran === 'True', shape };
}

function decodeValues(raw: Uint8Array, kind: NpyDtype, itemSize: number, bigEndian: boolean, name: string): NpyData {
  const bytes = new Uint8Array(raw); // an aligned copy that owns its buffer (Buffer#slice would be a view)
  if (bigEndian && itemSize > 1) {
    for (let i = 0; i < bytes.length; i += itemSize) bytes.subarray(i, i + itemSize).reverse();
  }
  const { buffer } = bytes;
  switch (kind) {
    case 'bool':
    case 'uint8':
      return new Uint8Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'float16':
      return Float32Array.from(new Uint16Array(buffer), halfToFloat);
    default:
      return wideInts(kind === 'int64' ? new BigInt64Array(buffer) : new BigUint64Array(buffer), name);
  }
}

/** int64/uint64 values as doubles; values beyond 2^53 would lose precision and are an error. */
function wideInts(values: BigInt64Array | BigUint64Array, name: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isSafeInteger(v)) throw new DatasetError(`64-bit value ${String(values[i])} at ${i} does not fit a double exactly`, name);
    out[i] = v;
  }
  return out;
}

/** IEEE 754 half-precision bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reorders column-major values to row-major. */
function fortranToC<T extends NpyData>(data: T, shape: number[]): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let c = 0; c < data.length; c++) {
    let f = 0;
    let stride = 1;
    for (let a = 0; a < rank; a++) {
      f += (index[a] as number) * stride;
      stride *= shape[a] as number;
    }
    out[c] = data[f] as number;
    for (let a = rank - 1; a >= 0; a--) {
      index[a] = (index[a] as number) + 1;
      if ((index[a] as number) < (shape[a] as number)) break;
      index[a] = 0;
    }
  }
  return out;
}

const WRITE_DESCR: ReadonlyArray<[new (...args: never[]) => NpyData, string]> = [
  [Float32Array, '<f4'], [Float64Array, '<f8'], [Int32Array, '<i4'], [Uint32Array, '<u4'],
  [Int16Array, '<i2'], [Uint16Array, '<u2'], [Int8Array, '|i1'], [Uint8Array, '|u1'],
];

/**
 * Encodes a typed array as a `.npy` file (format 1.0, C order, little-endian), header padded so
 * the data starts at a multiple of 64 bytes, as NumPy writes it.
 * @throws DatasetError when the shape does not match the array length.
 */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new DatasetError(`shape [${shape.join(', ')}] holds ${count} values, the array has ${data.length}`);
  const descr = WRITE_DESCR.find(([type]) => data instanceof type)?.[1] ?? '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
