import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DatasetError, encodeNpy, halfToFloat, parseNpy, parseNpz } from '../src/index';

/** Builds a .npy file by hand, per the NumPy format spec: magic, version, LE header length, header, data. */
function npyBytes(header: string, data: Uint8Array, version: 1 | 2 = 1): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  const pre = 6 + 2 + lengthBytes;
  const padded = `${header + ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64)}\n`;
  const out = new Uint8Array(pre + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0], 0);
  if (version === 1) {
    out[8] = padded.length & 0xff;
    out[9] = padded.length >> 8;
  } else {
    out[8] = padded.length & 0xff;
    out[9] = (padded.length >> 8) & 0xff;
    out[10] = 0;
    out[11] = 0;
  }
  for (let i = 0; i < padded.length; i++) out[pre + i] = padded.charCodeAt(i);
  out.set(data, pre + padded.length);
  return out;
}

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

describe('parseNpy', () => {
  it('reads little-endian float32 in C order', () => {
    const file = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytesOf(Float32Array.of(1, 2, 3, 4, 5, 6.5)));
    expect(file.length % 64).toBe((24) % 64); // header padded so data starts at 64
    const a = parseNpy(file);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
  });

  it('reads big-endian int16, uint8, bool, a 1-d shape and a scalar', () => {
    const be = parseNpy(npyBytes("{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }", Uint8Array.of(0x01, 0x02, 0xff, 0xfe, 0x00, 0x05)));
    expect(Array.from(be.data)).toEqual([0x0102, -2, 5]);
    expect(be.shape).toEqual([3]);
    const u8 = parseNpy(npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", Uint8Array.of(0, 9, 200, 255)));
    expect(Array.from(u8.data)).toEqual([0, 9, 200, 255]);
    const b = parseNpy(npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.of(1, 0)));
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.data)).toEqual([1, 0]);
    const s = parseNpy(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", bytesOf(Float64Array.of(-2.25))));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([-2.25]);
  });

  it('reorders Fortran-order arrays to C order', () => {
    // Column-major storage of [[1, 2, 3], [4, 5, 6]] is 1, 4, 2, 5, 3, 6.
    const f = parseNpy(npyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", bytesOf(Int32Array.of(1, 4, 2, 5, 3, 6))));
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads int64 (as doubles), float16 and format version 2.0', () => {
    const i8 = parseNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", bytesOf(BigInt64Array.of(-3n, 9007199254740991n)), 2));
    expect(Array.from(i8.data)).toEqual([-3, 9007199254740991]);
    // float16 bits: 0x3c00 = 1, 0xc000 = -2, 0x3555 ~ 0.333, 0x0001 = 2^-24 (subnormal).
    const f2 = parseNpy(npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", bytesOf(Uint16Array.of(0x3c00, 0xc000, 0x3555, 0x0001))));
    expect(Array.from(f2.data)).toEqual([1, -2, Math.fround(0.333251953125), Math.fround(2 ** -24)]);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", bytesOf(BigInt64Array.of(2n ** 60n))), 'big.npy')).toThrow(/big\.npy: 64-bit value/);
  });

  it('names the file on bad input', () => {
    const good = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", bytesOf(Float32Array.of(1, 2)));
    expect(() => parseNpy(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 'x.npy')).toThrow(/x\.npy: not a \.npy file/);
    expect(() => parseNpy(good.subarray(0, good.length - 1), 'x.npy')).toThrow(/x\.npy: data holds 7 bytes, shape \[2\] of <f4 needs 8/);
    expect(() => parseNpy(npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'o.npy')).toThrow(/o\.npy: unsupported dtype "\|O"/);
    expect(() => parseNpy(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)))).toThrow(DatasetError);
  });
});

describe('encodeNpy', () => {
  it('writes the bytes NumPy writes (format 1.0, 64-byte aligned header)', () => {
    const values = Float32Array.of(1, -2, 3.5, 0, 7, 8);
    const expected = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytesOf(values));
    expect(Array.from(encodeNpy(values, [2, 3]))).toEqual(Array.from(expected));
    const ones = npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", Uint8Array.of(1, 2, 3));
    expect(Array.from(encodeNpy(Uint8Array.of(1, 2, 3), [3]))).toEqual(Array.from(ones));
    const back = parseNpy(encodeNpy(Int32Array.of(5, -6), [2, 1]));
    expect(back.shape).toEqual([2, 1]);
    expect(Array.from(back.data)).toEqual([5, -6]);
    expect(() => encodeNpy(Float32Array.of(1, 2), [3])).toThrow(DatasetError);
  });
});

describe('parseNpz', () => {
  it('reads stored and deflated members (savez / savez_compressed)', () => {
    const x = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", bytesOf(Float32Array.of(1, 2, 3, 4)));
    const y = npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", bytesOf(BigInt64Array.of(0n, 1n)));
    for (const level of [0, 6] as const) {
      const arrays = parseNpz(zipSync({ 'x.npy': x, 'y.npy': y }, { level }));
      expect([...arrays.keys()].sort()).toEqual(['x', 'y']);
      expect(Array.from(arrays.get('x')?.data ?? [])).toEqual([1, 2, 3, 4]);
      expect(Array.from(arrays.get('y')?.data ?? [])).toEqual([0, 1]);
    }
    expect(() => parseNpz(Uint8Array.of(1, 2, 3), 'bad.npz')).toThrow(/bad\.npz: not a valid \.npz/);
    expect(() => parseNpz(zipSync({ 'a.txt': Uint8Array.of(1) }), 'e.npz')).toThrow(/e\.npz: the \.npz holds no \.npy arrays/);
  });
});
