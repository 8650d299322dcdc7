/** Page script of the Chromium test: the browser entry of @bonsai/datasets on the cpu backend, exposed as `window.readFiles`. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError } from '@bonsai/core';
import { imageFiles } from '../../src/browser';

interface Picked {
  path: string;
  base64: string;
}

/** What the page hands back: the dataset's names, classes, labels and batch values (or the error). */
export interface PageResult {
  names?: string[];
  classes?: string[];
  labels?: number[];
  shape?: number[];
  values?: number[];
  error?: { name: string; message: string; bonsai: boolean };
}

async function readFiles(picked: Picked[], size: [number, number]): Promise<PageResult> {
  await tf.setBackend('cpu');
  const files = picked.map((p) => {
    const bytes = Uint8Array.from(atob(p.base64), (c) => c.charCodeAt(0));
    const file = new File([bytes], p.path.split('/').pop()!);
    Object.defineProperty(file, 'webkitRelativePath', { value: p.path });
    return file;
  });
  try {
    const ds = await imageFiles(files, { size, channels: 3, preprocess: '[0,1]' });
    const values: number[] = [];
    let shape: number[] = [];
    for await (const b of ds.batches({ batchSize: 2 })) {
      values.push(...(await b.x.data()));
      shape = [ds.size, ...b.x.shape.slice(1)];
      tf.dispose([b.x, b.y ?? []].flat());
    }
    return { names: ds.names(), classes: ds.classes, labels: Array.from(ds.labels() ?? []), shape, values };
  } catch (e) {
    const err = e as Error;
    return { error: { name: err.name, message: err.message, bonsai: e instanceof BonsaiError } };
  }
}

(globalThis as unknown as { readFiles: typeof readFiles }).readFiles = readFiles;
