/**
 * Deflate (zlib format) without dependencies: `node:zlib` in Node (level 9), else the
 * platform's CompressionStream('deflate').
 */
type Zlib = typeof import('node:zlib');

async function nodeZlib(): Promise<Zlib | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  return import('node:zlib');
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

/** Inverse of {@link deflate}. */
export async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const z = await nodeZlib();
  if (z) return new Uint8Array(z.inflateSync(data));
  return viaStream(data, new DecompressionStream('deflate'));
}
