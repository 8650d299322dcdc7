/**
 * Worker thread of {@link PixelPool}: reads, decodes and preprocesses one image per message and
 * posts the sample's float32 values back (transferred), or the error's kind, message and file.
 */
import { parentPort } from 'node:worker_threads';
import { IoError } from '@bonsai/core';
import { writePixels } from '../image/pixels';
import { resolveDecoder } from './decoders';
import type { PixelTask, PixelReply } from './pixel-pool';

const port = parentPort;
if (!port) throw new Error('pixel-worker.ts runs as a worker thread only');

port.on('message', (task: PixelTask) => {
  void run(task).then((reply) => port.postMessage(reply, reply.values ? [reply.values.buffer as ArrayBuffer] : []));
});

async function run(task: PixelTask): Promise<PixelReply> {
  try {
    const { decode } = await resolveDecoder(task.decoder);
    const image = await decode(task.file);
    const [h, w] = task.hw;
    const values = new Float32Array(h * w * task.plan.channels);
    writePixels(image, task.plan, values, 0, task.file, task.hw);
    return { id: task.id, values };
  } catch (error) {
    const e = error as Error & { file?: string; reason?: string };
    return { id: task.id, error: { kind: error instanceof IoError ? 'io' : 'data', message: e.message, file: e.file ?? task.file, reason: e.reason } };
  }
}
