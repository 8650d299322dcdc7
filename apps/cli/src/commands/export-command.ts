import { backendInfo, initBackend, type Model } from '@bonsai/core';
import { importLayersModel } from '@bonsai/interop';
import * as tf from '@tensorflow/tfjs-core';
import type { FlagSpecs, FlagValues } from '../args';
import type { RunContext } from '../context';
import { UsageError } from '../errors';
import type { CliIo } from '../io';
import { loadSaved, resolvePath } from '../model-source';
import { checkWritable } from '../out-dir';
import { EXPORT_QUANTIZATIONS } from '../recipe';
import { exportLayers, type LayersExport } from '../steps/export';

/** Flags of `bonsai export`. */
export const EXPORT_FLAGS: FlagSpecs = {
  model: { type: 'string', alias: 'm', valueName: 'dir', description: 'a float (dense or pruned) model folder written by bonsai (required)' },
  quantize: { type: 'string', choices: EXPORT_QUANTIZATIONS, defaultText: 'float32', description: 'store kernels as uint8/uint16 (affine, per tensor) or float16' },
  out: { type: 'string', alias: 'o', valueName: 'dir', description: 'output folder: model.json + weights.bin (required)' },
  verifySamples: { type: 'number', integer: true, min: 0, valueName: 'n', default: 4, description: 're-read the written files and compare outputs on n seeded random inputs (0 = skip)' },
};

/** Result of `bonsai export` (the `result` of `--json`). */
export interface ExportResult {
  model: string;
  output: LayersExport;
  /** Outputs of the written files (re-imported) vs. the Bonsai model on random inputs. */
  verify?: { samples: number; maxAbsDiff: number };
  seconds: number;
}

/** Largest |a - b| between the outputs of two models on `samples` seeded uniform(-1, 1) inputs. */
async function compareOutputs(a: Model, b: Model, samples: number): Promise<number> {
  const shape = a.graph.shape(a.graph.inputs[0]!);
  const diff = tf.tidy(() => {
    const x = tf.randomUniform([samples, ...shape], -1, 1, 'float32', 7);
    return tf.max(tf.abs(tf.sub(a.forward(x), b.forward(x))));
  });
  const v = (await diff.data())[0]!;
  diff.dispose();
  return v;
}

/**
 * `bonsai export --model <dir> [--quantize uint8] --out <dir>`: writes a saved float (dense or
 * pruned) Bonsai model as a stock tfjs LayersModel, then re-reads the files and checks that they
 * reproduce the model's outputs.
 */
export async function runExport(flags: FlagValues, io: CliIo, ctx: RunContext): Promise<ExportResult> {
  const t0 = performance.now();
  const src = typeof flags.model === 'string' ? flags.model : undefined;
  const out = typeof flags.out === 'string' ? flags.out : undefined;
  if (!src || !out) throw new UsageError(`export needs ${!src ? '--model <dir>' : ''}${!src && !out ? ' and ' : ''}${!out ? '--out <dir>' : ''}`, 'export');
  const quantize = typeof flags.quantize === 'string' ? (flags.quantize as (typeof EXPORT_QUANTIZATIONS)[number]) : undefined;
  const samples = typeof flags.verifySamples === 'number' ? flags.verifySamples : Number(EXPORT_FLAGS.verifySamples!.default);
  await initBackend(typeof flags.backend === 'string' ? (flags.backend as 'wasm' | 'cpu') : 'wasm');
  const b = backendInfo();
  ctx.log(`backend: ${b.name} (simd: ${b.simd ? 'yes' : 'no'}, threads: ${b.threads ? 'yes' : 'no'})`);
  const model = await loadSaved(resolvePath(io.cwd, src));
  try {
    await checkWritable(resolvePath(io.cwd, out), out);
    const output = await exportLayers(model, resolvePath(io.cwd, out), quantize, src);
    ctx.log(`wrote a tfjs LayersModel (${output.weights} kernels) to ${output.dir}: ${output.files.join(' + ')}, ${output.bytes} bytes`);
    let verify: ExportResult['verify'];
    if (samples > 0 && model.graph.inputs.length === 1) {
      const back = await importLayersModel(output.dir);
      try {
        verify = { samples, maxAbsDiff: await compareOutputs(model, back, samples) };
      } finally {
        back.dispose();
      }
      ctx.log(`verified: outputs of the written files vs. the Bonsai model on ${samples} random inputs: max |diff| ${verify.maxAbsDiff.toExponential(2)}`);
    }
    ctx.report(`exported ${src} -> ${output.dir} (tfjs layers-model, ${output.weights} kernels, ${output.bytes} bytes); load it with tf.loadLayersModel('<url of>/model.json')`);
    return { model: src, output, verify, seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.dispose();
  }
}
