import { ConfigError, fromArtifacts, getOp, toArtifacts, type Model, type ModelJSON } from '@bonsai/core';
import { countMacs, countParams } from '@bonsai/eval';
import { importModel, toGraphModelArtifacts, toLayersArtifacts } from '@bonsai/interop';
import { fromQuantizedArtifacts, QUANTIZED_WEIGHTS_FILE, type QuantizedArtifacts } from '@bonsai/quantize';
import type { DownloadFile, MethodAvailability, ModelFormat, ModelSummary, WeightQuant } from '../protocol';
import type { ModelFiles } from './model-files';
import { useIntegerKernels } from '../int8-kernels';

/** A loaded model plus how to make fresh copies of it (a GraphModel re-import keeps its provenance, a clone would not). */
export interface OpenModel {
  model: Model;
  format: ModelFormat;
  name: string;
  bytes: number;
  storedAs?: string;
  /** A fresh, independent copy of the model as loaded, to compress. */
  copy(): Promise<Model>;
}

function storedAsOf(files: ModelFiles): string | undefined {
  if (files.quantized) return 'int8 (Bonsai, per channel)';
  const manifest = files.json.weightsManifest as Array<{ weights?: Array<{ quantization?: { dtype?: string } }> }>;
  const kinds = new Set(manifest.flatMap((g) => (g.weights ?? []).map((w) => w.quantization?.dtype).filter((d): d is string => typeof d === 'string')));
  return kinds.size ? [...kinds].join(', ') : undefined;
}

/** Builds a Bonsai model from read files (any of the three formats); `copy()` re-reads the same bytes. */
export async function openModel(files: ModelFiles): Promise<OpenModel> {
  const make = async (): Promise<Model> => {
    if (files.format !== 'bonsai') return importModel({ modelJson: files.json, weights: files.weights.slice(0) });
    if (files.quantized) {
      // A static int8 download runs on the integer kernels again, as the run that wrote it measured.
      const q = await fromQuantizedArtifacts({ json: files.json as QuantizedArtifacts['json'], weights: files.weights.slice(0), quantized: files.quantized }, files.name);
      await useIntegerKernels(q);
      return q;
    }
    return fromArtifacts({ json: files.json as ModelJSON, weights: files.weights.slice(0) }, files.name);
  };
  const model = await make();
  const storedAs = storedAsOf(files);
  return { model, format: files.format, name: files.name, bytes: files.bytes, ...(storedAs ? { storedAs } : {}), copy: make };
}

/** The model's single input shape `[h, w, c]` and output shape; other shapes cannot be compressed here. */
export function ioShapes(model: Model): { input: number[]; output: number[] } {
  const { inputs, outputs } = model.graph;
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new ConfigError(`the demo compresses models with one input and one output; this one has ${inputs.length} input(s) and ${outputs.length} output(s)`, { key: 'model' });
  }
  return { input: [...model.graph.shape(inputs[0]!)], output: [...model.graph.shape(outputs[0]!)] };
}

/** What the inspect step shows. `methods` says which compression methods apply to this model. */
export function summarize(open: OpenModel, source: ModelSummary['source'], methods: MethodAvailability[]): ModelSummary {
  const { model } = open;
  const { input, output } = ioShapes(model);
  const counts = new Map<string, number>();
  for (const n of model.graph.nodes) if (!getOp(n.op).graphInput) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const ops = [...counts].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
  return {
    name: open.name,
    format: open.format,
    source,
    inputShape: input,
    outputShape: output,
    ops,
    params: countParams(model),
    macs: countMacs(model).dense,
    bytes: open.bytes,
    ...(open.storedAs ? { storedAs: open.storedAs } : {}),
    methods,
    drawable: input.join() === '28,28,1' && output.join() === '10',
  };
}

/** True when some node of the model is a batch norm (Network Slimming needs one). */
export function hasBatchNorm(model: Model): boolean {
  return model.graph.nodes.some((n) => getOp(n.op).norm === 'batch');
}

/**
 * The download of `model` in `format`: a LayersModel or GraphModel (stock tfjs loads it; `quant`
 * is the manifest's uint8/float16 weight encoding), or Bonsai's model.json + weights.bin.
 */
export async function downloadFiles(model: Model, format: ModelFormat, quant: WeightQuant): Promise<DownloadFile[]> {
  const options = quant === 'float32' ? {} : { quantize: quant };
  if (format === 'layers-model' || format === 'graph-model') {
    const art = format === 'layers-model' ? await toLayersArtifacts(model, options) : await toGraphModelArtifacts(model, options);
    const path = art.modelJson.weightsManifest[0]?.paths[0] ?? 'weights.bin';
    return [{ name: 'model.json', data: JSON.stringify(art.modelJson) }, { name: path, data: art.weights }];
  }
  if (quant !== 'float32') throw new ConfigError(`${quant} weights are a tfjs manifest encoding: a Bonsai-format model downloads as float32 or as int8 (the int8 method)`, { key: 'quant' });
  const art = await toArtifacts(model);
  return [{ name: 'model.json', data: JSON.stringify(art.json) }, { name: 'weights.bin', data: art.weights }];
}

/** Reads a download back the way a user would load it again (the measured accuracy is the file's own). */
export async function reopen(files: readonly DownloadFile[], format: ModelFormat): Promise<Model> {
  const json = JSON.parse(files.find((f) => f.name === 'model.json')!.data as string) as Record<string, unknown>;
  const bin = (name: string): ArrayBuffer => {
    const f = files.find((x) => x.name === name);
    if (!f || typeof f.data === 'string') throw new ConfigError(`download has no ${name}`, { key: 'files' });
    return f.data.slice(0);
  };
  const weightsName = files.find((f) => f.name !== 'model.json' && f.name !== QUANTIZED_WEIGHTS_FILE)!.name;
  if (format !== 'bonsai') return importModel({ modelJson: json, weights: bin(weightsName) });
  if (files.some((f) => f.name === QUANTIZED_WEIGHTS_FILE)) return fromQuantizedArtifacts({ json: json as QuantizedArtifacts['json'], weights: bin('weights.bin'), quantized: new Uint8Array(bin(QUANTIZED_WEIGHTS_FILE)) });
  return fromArtifacts({ json: json as ModelJSON, weights: bin('weights.bin') });
}
