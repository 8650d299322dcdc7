/**
 * Deflate (zlib format) without dependencies: `node:zlib` in Node (level 9), else the
 * platform's CompressionStream('deflate').
 */
type Zlib = typeof import('node:zlib');

let zlib: Promise<Zlib | undefined> | undefined;

function nodeZlib(): Promise<Zlib | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return Promise.resolve(undefined);
  zlib ??= import('node:zlib');
  return zlib;
}

async function viaStream(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close());
  const buf = await new Response(stream.readable).arrayBuffer();
  return new Uint8Array(buf);
}

/** zlib-deflates `data`. */
export async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const z = await nodeZlib();
  if (z) return new Uint8Array(z.deflateSync(data, { level: 9 }));
  return viaStream(data, new CompressionStream('deflate'));
}

/** Bytes of `data` gzipped at level 9 (`node:zlib`, else CompressionStream('gzip')): a transfer size. */
export async function gzipSize(data: Uint8Array): Promise<number> {
  const z = await nodeZlib();
  if (z) return z.gzipSync(data, { level: 9 }).length;
  return (await viaStream(data, new CompressionStream('gzip'))).length;
}

/** Options of {@link inflate}. */
export interface InflateOptions {
  /** Largest output accepted, in bytes: inflating stops (and throws) past it. Default: no limit. */
  maxOutputLength?: number;
}

async function inflateStream(data: Uint8Array, limit: number): Promise<Uint8Array> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  void writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new RangeError(`inflated data exceeds ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Inverse of {@link deflate}; with `maxOutputLength`, a stream that inflates to more bytes throws a RangeError without inflating further. */
export async function inflate(data: Uint8Array, options: InflateOptions = {}): Promise<Uint8Array> {
  const limit = options.maxOutputLength ?? Infinity;
  const z = await nodeZlib();
  if (z) return new Uint8Array(Number.isFinite(limit) ? z.inflateSync(data, { maxOutputLength: Math.max(1, limit) }) : z.inflateSync(data));
  return Number.isFinite(limit) ? inflateStream(data, limit) : viaStream(data, new DecompressionStream('deflate'));
}
