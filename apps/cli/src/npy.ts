import { SerializationError } from '@bonsai/core';
import { inflateRawSync } from 'node:zlib';

/** One array read from a .npy file (or an entry of a .npz). */
export interface NpyArray {
  shape: number[];
  /** NumPy dtype string, e.g. `<f4`, `|u1`. */
  dtype: string;
  /** The values as float32 (integers converted exactly up to 2^24). */
  data: Float32Array;
  /** True for integer dtypes (e.g. uint8 pixels or class labels). */
  integer: boolean;
}

const DTYPES: Record<string, { bytes: number; integer: boolean; read: (v: DataView, o: number) => number }> = {
  '<f4': { bytes: 4, integer: false, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, integer: false, read: (v, o) => v.getFloat64(o, true) },
  '|u1': { bytes: 1, integer: true, read: (v, o) => v.getUint8(o) },
  '|i1': { bytes: 1, integer: true, read: (v, o) => v.getInt8(o) },
  '<u2': { bytes: 2, integer: true, read: (v, o) => v.getUint16(o, true) },
  '<i2': { bytes: 2, integer: true, read: (v, o) => v.getInt16(o, true) },
  '<i4': { bytes: 4, integer: true, read: (v, o) => v.getInt32(o, true) },
  '<u4': { bytes: 4, integer: true, read: (v, o) => v.getUint32(o, true) },
  '<i8': { bytes: 8, integer: true, read: (v, o) => Number(v.getBigInt64(o, true)) },
  '|b1': { bytes: 1, integer: true, read: (v, o) => v.getUint8(o) },
};

/**
 * Parses a .npy file (NumPy format 1.0-3.0, C order, little-endian numeric dtypes).
 * @throws SerializationError naming `file` on anything else.
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) throw new SerializationError('not a .npy file (bad magic)', file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new SerializationError('truncated .npy header', file);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new SerializationError(`unreadable .npy header: ${header.trim()}`, file);
  if (fortran === 'True') throw new SerializationError('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)', file);
  const dt = DTYPES[descr === '<u1' || descr === '<i1' ? `|${descr.slice(1)}` : descr];
  if (!dt) throw new SerializationError(`dtype "${descr}" is not supported (use float32, float64 or an integer type, little-endian)`, file);
  const shape = shapeText.split(',').map((t) => t.trim()).filter((t) => t !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new SerializationError(`bad shape (${shapeText})`, file);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset !== count * dt.bytes) throw new SerializationError(`holds ${bytes.length - offset} data bytes, shape [${shape.join(', ')}] of ${descr} needs ${count * dt.bytes}`, file);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = dt.read(view, offset + i * dt.bytes);
  return { shape, dtype: descr, data, integer: dt.integer };
}

/**
 * Reads the arrays of a .npz file (a zip of .npy files, stored or deflated) by name (without `.npy`).
 * @throws SerializationError naming `file` on a malformed archive.
 */
export function parseNpz(bytes: Uint8Array, file: string): Map<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new SerializationError('not a .npz (zip) file', file);
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out = new Map<string, NpyArray>();
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) throw new SerializationError('corrupt zip central directory', file);
    const method = view.getUint16(p + 10, true);
    const compressed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) throw new SerializationError(`corrupt zip entry "${name}"`, file);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let content: Uint8Array;
    if (method === 0) content = raw;
    else if (method === 8) {
      try {
        content = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
      } catch (err) {
        throw new SerializationError(`entry "${name}" does not inflate to its declared ${size} bytes (${(err as Error).message})`, file);
      }
    } else throw new SerializationError(`entry "${name}" uses zip method ${method}; only stored and deflate are supported`, file);
    if (content.length !== size) throw new SerializationError(`entry "${name}" holds ${content.length} bytes, the archive declares ${size}`, file);
    out.set(name.replace(/\.npy$/, ''), parseNpy(content, `${file}:${name}`));
  }
  return out;
}
