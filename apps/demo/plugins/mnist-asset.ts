import type { Plugin } from 'vite';

/** File names of the emitted MNIST assets (served at the app's base URL). */
export const MNIST_ASSETS = { train: 'mnist-train.bin', test: 'mnist-test.bin' } as const;

/** Magic bytes of the compact MNIST format ("BMN1"). */
export const MNIST_MAGIC = 0x314e4d42;

/** Options of {@link mnistAsset}. */
export interface MnistAssetOptions {
  /** Training digits to ship (default 4000 of the 8000 in @bonsai/datasets' split). */
  trainSize?: number;
  /** Test digits to ship (default 1000 of 2000). */
  testSize?: number;
  /** Split seed passed to loadMnist (default 42). */
  seed?: number;
}

/**
 * Packs a split as `[magic u32][count u32][labels: count x u8][pixels: count x 784 x u8]`
 * (little endian; pixels are round(v * 255)). 4000 digits take ~3.1 MB instead of ~25 MB of JSON.
 */
export function packSplit(images: Float32Array, labels: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(8 + count + count * 784);
  const view = new DataView(out.buffer);
  view.setUint32(0, MNIST_MAGIC, true);
  view.setUint32(4, count, true);
  out.set(labels.subarray(0, count), 8);
  const pixels = out.subarray(8 + count);
  for (let i = 0; i < count * 784; i++) pixels[i] = Math.round((images[i] ?? 0) * 255);
  return out;
}

/**
 * Vite plugin: reads MNIST in Node through @bonsai/datasets' `loadMnist()` (which needs node:fs and
 * cannot run in the page) and emits `mnist-train.bin` / `mnist-test.bin` as build assets; in dev it
 * serves the same bytes from memory.
 */
export function mnistAsset(options: MnistAssetOptions = {}): Plugin {
  let packed: Promise<Record<string, Uint8Array>> | undefined;
  const load = (): Promise<Record<string, Uint8Array>> => {
    packed ??= (async () => {
      let datasets: typeof import('@bonsai/datasets');
      try {
        datasets = await import('@bonsai/datasets');
      } catch (cause) {
        throw new Error(`mnist-asset: cannot load @bonsai/datasets (build it first: pnpm turbo run build --filter=@bonsai/demo^...): ${(cause as Error).message}`);
      }
      const { train, test } = datasets.loadMnist({ seed: options.seed ?? 42, trainSize: options.trainSize ?? 4000, testSize: options.testSize ?? 1000 });
      return {
        [MNIST_ASSETS.train]: packSplit(train.images, train.labels, train.count),
        [MNIST_ASSETS.test]: packSplit(test.images, test.labels, test.count),
      };
    })();
    return packed;
  };
  return {
    name: 'bonsai-mnist-asset',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = (req.url ?? '').split('?')[0]?.split('/').pop() ?? '';
        if (name !== MNIST_ASSETS.train && name !== MNIST_ASSETS.test) return next();
        load().then((files) => {
          res.setHeader('Content-Type', 'application/octet-stream');
          res.end(files[name]);
        }, next);
      });
    },
    async generateBundle() {
      const files = await load();
      for (const [fileName, source] of Object.entries(files)) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}
