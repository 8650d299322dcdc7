import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DatasetError } from './errors';

/** Values per MNIST digit (28 x 28 x 1). */
export const MNIST_PIXELS = 784;

/** Every digit of the `mnist` package, class-major: all 0s, then all 1s, ... */
export interface RawMnist {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

const cache = new Map<string, RawMnist>();

/** The `src/digits` folder of the installed `mnist` package. */
export function defaultDigitsDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch (cause) {
    throw new DatasetError(`the "mnist" package is not installed: ${(cause as Error).message}`);
  }
  return join(dirname(pkg), 'src', 'digits');
}

/** Reads `0.json` ... `9.json` from `dir` (default: the `mnist` package), parsed once per folder. */
export function readMnistDigits(dir: string = defaultDigitsDir()): RawMnist {
  const key = resolve(dir);
  const hit = cache.get(key);
  if (hit) return hit;
  const perClass = Array.from({ length: 10 }, (_, digit) => readDigitFile(join(key, `${digit}.json`)));
  const count = perClass.reduce((sum, values) => sum + values.length / MNIST_PIXELS, 0);
  const images = new Float32Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  let offset = 0;
  perClass.forEach((values, digit) => {
    images.set(values, offset * MNIST_PIXELS);
    const n = values.length / MNIST_PIXELS;
    labels.fill(digit, offset, offset + n);
    offset += n;
  });
  const raw = { images, labels, count };
  cache.set(key, raw);
  return raw;
}

/** Parses one `{ "data": [...] }` file and checks it holds whole digits with values in [0, 1]. */
function readDigitFile(file: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DatasetError(`cannot read MNIST digits file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DatasetError(`corrupt MNIST digits file: invalid JSON (${(cause as Error).message})`, file);
  }
  const data = Array.isArray(parsed) ? parsed : (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new DatasetError('corrupt MNIST digits file: no "data" array', file);
  if (data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new DatasetError(`corrupt MNIST digits file: ${data.length} values is not a positive multiple of ${MNIST_PIXELS}`, file);
  }
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new DatasetError(`corrupt MNIST digits file: value ${JSON.stringify(v)} at ${i} is not a number in [0, 1]`, file);
    }
  }
  return data as number[];
}
