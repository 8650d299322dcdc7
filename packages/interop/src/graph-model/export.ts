import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Model, type NodeId } from '@bonsai/core';
import { weightsFileName, writeModelFolder, type WrittenModel } from '../model-folder';
import { encodeFloat16, quantizeTfjsAffine } from '@bonsai/quantize';
import type { ManifestQuantization, WeightQuantization } from '../quantize-weights';
import type { EmitContext, FusedActivation, ParamValue } from './emit-context';
import { GRAPH_MODEL, nodeError } from './errors';
import { GRAPH_MODEL_FILE } from './import';
import { FUSABLE_ACTIVATIONS } from './ops/activation';
import { graphModelProvenance } from './provenance';
import { graphEmitter } from './table';
import { tensorRef } from './topology';
import { withPreprocessing } from '../preprocessing';

/** Options of {@link exportGraphModel}. */
export interface GraphExportOptions {
  /**
   * Store kernels (float Consts of rank >= 2) as uint8/uint16 (affine, per tensor) or float16 in
   * the manifest; stock tfjs dequantizes them at load. Default: float32.
   */
  quantize?: WeightQuantization;
  /** Name of the weights file (default `weights.bin`). */
  weightsFile?: string;
  /** Input preprocessing to record in the file (`userDefinedMetadata.bonsai.preprocess`, see `readPreprocessing`). */
  preprocess?: string;
}

/** A weights-manifest entry as written. */
export interface GraphWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: ManifestQuantization;
}

/** A TF NodeDef as written into model.json. */
export interface GraphNodeJSON {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

/** The model.json document of a GraphModel. */
export interface GraphModelJSON {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: GraphNodeJSON[]; [key: string]: unknown };
  weightsManifest: Array<{ paths: string[]; weights: GraphWeightSpec[] }>;
  [key: string]: unknown;
}

/** Exported GraphModel: model.json content, the weights, and the TF tensor each Bonsai output became. */
export interface ExportedGraphModel {
  modelJson: GraphModelJSON;
  weights: ArrayBuffer;
  /** Bonsai graph output -> TF tensor name (`node:0`), in graph output order. */
  outputNames: string[];
  /** Bonsai graph input -> TF tensor name. */
  inputNames: string[];
}

const dim = (shape: readonly number[]): { dim: Array<{ size: string }> } => ({ dim: shape.map((d) => ({ size: String(d) })) });
const base = (ref: string): string => tensorRef(ref).node;

/**
 * Converts a Bonsai model to GraphModel artifacts that stock `tfconverter.loadGraphModel` runs.
 * A model imported from a GraphModel keeps its node names, signature and metadata; conv/matmul
 * nodes are written as the converter's fused ops (bias + activation). Masks are baked in.
 */
export async function toGraphModelArtifacts(model: Model, options: GraphExportOptions = {}): Promise<ExportedGraphModel> {
  const q = options.quantize;
  if (q !== undefined && q !== 'uint8' && q !== 'uint16' && q !== 'float16') {
    throw new ConfigError(`exportGraphModel: "quantize" must be "uint8", "uint16" or "float16", got ${JSON.stringify(q)}`, { key: 'quantize' });
  }
  const g = model.graph;
  const prov = graphModelProvenance(model);
  const values = new Map<string, ParamValue>();
  for (const [name, p] of model.params) {
    const t = tf.tidy(() => tf.clone(p.effective()));
    values.set(name, { values: (await t.data()) as Float32Array, shape: [...p.shape] });
    t.dispose();
  }
  // Names: provenance names first (a split's pieces share their SplitV's name), then node ids.
  const used = new Set<string>();
  const names = new Map<NodeId, string>();
  for (const n of g.nodes) {
    const t = prov?.tfNames.get(n.id);
    if (t !== undefined) names.set(n.id, base(t));
  }
  for (const v of names.values()) used.add(v);
  const unique = (want: string): string => {
    const clean = want.replace(/[^-A-Za-z0-9_./]/g, '_') || 'node';
    let name = clean;
    for (let k = 1; used.has(name); k++) name = `${clean}_${k}`;
    used.add(name);
    return name;
  };
  for (const n of g.nodes) if (!names.has(n.id)) names.set(n.id, unique(n.id));

  const nodes: GraphNodeJSON[] = [];
  const specs: GraphWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  const refs = new Map<NodeId, string>();
  const batch = prov?.fixedBatch ?? -1;
  for (const node of g.nodes) {
    if (refs.has(node.id)) continue;
    const name = names.get(node.id)!;
    if (node.op === 'input') {
      nodes.push({ name, op: 'Placeholder', input: [], attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim([batch, ...g.shape(node.id)]) } } });
      refs.set(node.id, name);
      continue;
    }
    const emit = graphEmitter(node.op);
    if (!emit) throw nodeError(node.id, node.op, `the op has no ${GRAPH_MODEL} equivalent`);
    const absorbed: FusedActivation[] = [];
    const ctx: EmitContext = {
      node,
      graph: g,
      inputShapes: g.inputShapes(node.id),
      outputShape: g.shape(node.id),
      batch,
      inputs: node.inputs.map((i) => refs.get(i)!),
      name,
      param: (role) => ctx.paramOf(node.id, role),
      paramOf(id, role) {
        const v = values.get(`${id}/${role}`);
        if (!v) throw nodeError(id, g.node(id).op, `has no param "${role}"`);
        return v;
      },
      constant(want, data, shape, kind) {
        const cname = unique(want);
        const dtype = data instanceof Int32Array ? 'int32' : 'float32';
        nodes.push({ name: cname, op: 'Const', input: [], attr: { dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: { dtype: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: dim(shape) } } } });
        const spec: GraphWeightSpec = { name: cname, shape: [...shape], dtype };
        if (q !== undefined && kind === 'kernel' && shape.length >= 2 && data instanceof Float32Array) {
          if (q === 'float16') {
            chunks.push(encodeFloat16(data));
            spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
          } else {
            const r = quantizeTfjsAffine(data, q);
            chunks.push(r.bytes);
            spec.quantization = { dtype: q, scale: r.scale, min: r.min, original_dtype: 'float32' };
          }
        } else chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        specs.push(spec);
        return cname;
      },
      emit(op, inputs, attr, want) {
        const nname = want === undefined ? unique(`${name}/${op}`) : want === name || (absorbed.length > 0 && want === absorbed[0]!.name) ? want : unique(want);
        nodes.push({ name: nname, op, input: [...inputs], attr });
        return nname;
      },
      fuseActivation(allowed) {
        if (absorbed.length > 0) return absorbed[0];
        const users = g.consumers(node.id);
        if (users.length !== 1 || g.outputs.includes(node.id)) return undefined;
        const c = g.node(users[0]!);
        const tfOp = FUSABLE_ACTIVATIONS[c.op];
        if (!allowed.includes(c.op) || tfOp === undefined) return undefined;
        if (c.op === 'elu' && c.attrs.alpha !== 1) return undefined;
        const f: FusedActivation = { tfOp, node: c, name: names.get(c.id)! };
        absorbed.push(f);
        return f;
      },
      bind(id, ref) {
        refs.set(id, ref);
      },
    };
    const out = emit(ctx);
    refs.set(node.id, out);
    for (const a of absorbed) refs.set(a.node.id, out);
  }
  const weights = tf.io.CompositeArrayBuffer.join(chunks.map((c) => c.slice().buffer as ArrayBuffer));
  const tensorName = (ref: string): string => (ref.includes(':') ? ref : `${ref}:0`);
  const inputNames = g.inputs.map((id) => tensorName(refs.get(id)!));
  const outputNames = g.outputs.map((id) => tensorName(refs.get(id)!));
  const meta: Record<string, unknown> = { ...(prov?.meta ?? {}) };
  const hasSignature = meta.signature !== undefined || (typeof meta.userDefinedMetadata === 'object' && meta.userDefinedMetadata !== null && 'signature' in meta.userDefinedMetadata);
  if (!hasSignature) {
    const entry = (id: NodeId, n: string) => ({ name: n, dtype: 'DT_FLOAT', tensorShape: dim([batch, ...g.shape(id)]) });
    meta.signature = {
      inputs: Object.fromEntries(g.inputs.map((id, i) => [inputNames[i]!, entry(id, inputNames[i]!)])),
      outputs: Object.fromEntries(g.outputs.map((id, i) => [outputNames[i]!, entry(id, outputNames[i]!)])),
    };
  }
  const converted = typeof meta.convertedBy === 'string' ? `@bonsai/interop (from ${meta.convertedBy})` : '@bonsai/interop';
  const modelJson: GraphModelJSON = {
    ...meta,
    format: 'graph-model',
    generatedBy: typeof meta.generatedBy === 'string' ? meta.generatedBy : '@bonsai/interop',
    convertedBy: converted,
    modelTopology: { ...(prov?.topologyMeta ?? { versions: { producer: 1982 } }), node: nodes },
    weightsManifest: [{ paths: [options.weightsFile ?? 'weights.bin'], weights: specs }],
  };
  return { modelJson: withPreprocessing(modelJson, options.preprocess), weights, outputNames, inputNames };
}

/**
 * Writes `model` to `dir` as a GraphModel (`model.json` + one weights file, atomically) that stock
 * `tfconverter.loadGraphModel` loads. Node only.
 */
export async function exportGraphModel(model: Model, dir: string, options: GraphExportOptions = {}): Promise<WrittenModel> {
  const weightsFile = weightsFileName('exportGraphModel', GRAPH_MODEL_FILE, options.weightsFile);
  return writeModelFolder(dir, GRAPH_MODEL_FILE, weightsFile, await toGraphModelArtifacts(model, { ...options, weightsFile }));
}
