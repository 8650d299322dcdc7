import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, getOp, type Graph, type Model, type Node, type NodeId } from '@bonsai/core';
import { weightsFileName, writeModelFolder, type WrittenModel } from './model-folder';
import { encodeFloat16, foldBatchNorm, quantizeTfjsAffine } from '@bonsai/quantize';
import { InteropError } from './errors';
import { layerActivationName, LAYER_UNEXPORTABLE, layerExporter, type ParamValues } from './layers/index';
import { LAYERS_MODEL_FILE } from './import';
import type { ManifestQuantization, WeightQuantization } from './quantize-weights';
import { withPreprocessing } from './preprocessing';

/** Options of {@link exportLayersModel}. */
export interface ExportOptions {
  /**
   * Store kernels (params of rank >= 2) as uint8/uint16 (affine, per tensor) or float16 in the
   * tfjs manifest; stock tfjs loaders dequantize them. Biases and normalization params stay
   * float32 (tiny, and BN variances are sensitive). Default: everything float32.
   */
  quantize?: WeightQuantization;
  /** Name of the weights file (default `weights.bin`). */
  weightsFile?: string;
  /** Keras model name (default `bonsai_model`). */
  name?: string;
  /**
   * Merge an activation that alone reads a conv2d / depthwiseConv2d / dense back into that
   * layer's `activation` config, as Keras writes such layers: one layer call fewer in stock tfjs,
   * and relu / elu run inside tfjs's fused conv / matMul kernel. relu6 stays a ReLU{max_value: 6}
   * layer (faster than activation "relu6"). The merged layer keeps the producer's name; the
   * activation node's name disappears from the file. Default true.
   */
  fuseActivations?: boolean;
  /**
   * Fold each inference-mode BatchNormalization that alone reads a Conv2D / DepthwiseConv2D /
   * Dense into that layer's kernel and bias (@bonsai/quantize's `foldBatchNorm`): a deployment
   * file without BN layers, faster in stock tfjs, not meant for further training (the BN
   * statistics are gone). Default false (the file keeps the model's layers).
   */
  foldBatchNorm?: boolean;
  /** Input preprocessing to record in the file (`userDefinedMetadata.bonsai.preprocess`, see `readPreprocessing`). */
  preprocess?: string;
}

/** tfjs weights-manifest entry as written. */
export interface ExportedWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: ManifestQuantization;
}

/** The model.json document of a tfjs LayersModel. */
export interface LayersModelJSON {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: { class_name: 'Model'; config: Record<string, unknown>; keras_version: string; backend: string };
  weightsManifest: Array<{ paths: string[]; weights: ExportedWeightSpec[] }>;
}

/** Exported artifacts: model.json content and the weights buffer. */
export interface ExportedArtifacts {
  modelJson: LayersModelJSON;
  weights: ArrayBuffer;
  /** Layer name used for each Bonsai node (names are sanitized to tfjs's tensor-name rules). */
  layerNames: ReadonlyMap<NodeId, string>;
}

const VALID = /^[A-Za-z0-9][-A-Za-z0-9._]*$/;

function layerNames(ids: readonly NodeId[]): Map<NodeId, string> {
  const out = new Map<NodeId, string>();
  const used = new Set<string>();
  for (const id of ids) if (VALID.test(id)) used.add(id);
  for (const id of ids) {
    if (VALID.test(id)) {
      out.set(id, id);
      continue;
    }
    const base = `${/^[A-Za-z0-9]/.test(id) ? '' : 'n'}${id.replace(/[^-A-Za-z0-9._]/g, '_')}`;
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    out.set(id, name);
  }
  return out;
}

/** Producer (conv2d / depthwiseConv2d / dense) -> the activation node that alone reads it and can become its `activation`. */
function fusions(g: Graph): Map<NodeId, Node> {
  const out = new Map<NodeId, Node>();
  const outputs = new Set(g.outputs);
  for (const node of g.nodes) {
    const exporter = layerExporter(node.op);
    const users = g.consumers(node.id);
    if (!exporter || outputs.has(node.id) || users.length !== 1) continue;
    const act = g.node(users[0]!);
    if (layerActivationName(act) === undefined || act.inputs.length !== 1) continue;
    if (exporter(node, g.inputShapes(node.id), g).fusesActivation) out.set(node.id, act);
  }
  return out;
}

/** Keras `trainable` of a node's layer: false when its (spec-)trainable params are all frozen. */
function isTrainable(model: Model, node: Node): boolean {
  const roles = Object.entries(model.graph.paramSpecs(node.id)).filter(([, s]) => s.trainable);
  return roles.length === 0 || roles.some(([role]) => model.param(node.id, role)?.trainable !== false);
}

/** Effective values (masks applied) and shapes of a node's params, by role. */
async function paramValues(model: Model, node: Node): Promise<Record<string, ParamValues>> {
  const out: Record<string, ParamValues> = {};
  for (const role of Object.keys(model.graph.paramSpecs(node.id))) {
    const p = model.param(node.id, role);
    if (!p) throw new InteropError(`Node "${node.id}" (${node.op}) has no param "${role}"`, { nodeId: node.id, op: node.op });
    const t = tf.tidy(() => tf.clone(p.effective()));
    out[role] = { values: (await t.data()) as Float32Array, shape: [...p.shape] };
    t.dispose();
  }
  return out;
}

/**
 * Converts a Bonsai model to tfjs LayersModel artifacts (functional Keras topology). Masks are
 * baked into the written values; the model itself is not changed. Ops without a tfjs-layers
 * equivalent (split, grouped conv2d) throw an {@link InteropError} naming the node and op.
 */
export async function toLayersArtifacts(model: Model, options: ExportOptions = {}): Promise<ExportedArtifacts> {
  if (!options.foldBatchNorm) return writeArtifacts(model, options);
  const folded = foldBatchNorm(model);
  try {
    return await writeArtifacts(folded, options);
  } finally {
    folded.dispose();
  }
}

async function writeArtifacts(model: Model, options: ExportOptions): Promise<ExportedArtifacts> {
  const q = options.quantize;
  if (q !== undefined && q !== 'uint8' && q !== 'uint16' && q !== 'float16') {
    throw new ConfigError(`exportLayersModel: "quantize" must be "uint8", "uint16" or "float16", got ${JSON.stringify(q)}`, { key: 'quantize' });
  }
  const g = model.graph;
  const names = layerNames(g.nodes.map((n) => n.id));
  const layers: Array<Record<string, unknown>> = [];
  const specs: ExportedWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  const fused = options.fuseActivations === false ? new Map<NodeId, Node>() : fusions(g);
  const absorbed = new Map<NodeId, NodeId>([...fused].map(([producer, act]) => [act.id, producer]));
  const outName = (id: NodeId): string => names.get(absorbed.get(id) ?? id)!;
  for (const node of g.nodes) {
    if (absorbed.has(node.id)) continue;
    const name = names.get(node.id)!;
    const exporter = layerExporter(node.op);
    if (!exporter) {
      const why = Object.hasOwn(LAYER_UNEXPORTABLE, node.op) ? LAYER_UNEXPORTABLE[node.op] : 'the op has no tfjs-layers equivalent';
      throw new InteropError(`Node "${node.id}" (${node.op}): ${why}`, { nodeId: node.id, op: node.op });
    }
    const layer = exporter(node, g.inputShapes(node.id), g);
    const act = fused.get(node.id);
    const config: Record<string, unknown> = { ...layer.config, ...(layer.configFromParams ? layer.configFromParams(await paramValues(model, node)) : {}), name };
    if (act && layer.fusesActivation) config.activation = layerActivationName(act);
    if (!getOp(node.op).graphInput) config.trainable = isTrainable(model, node);
    layers.push({
      name,
      class_name: layer.className,
      config,
      inbound_nodes: node.inputs.length === 0 ? [] : [node.inputs.map((i) => [outName(i), 0, 0, {}])],
    });
    for (const w of layer.weights) {
      const p = model.param(node.id, w.role);
      if (!p) throw new InteropError(`Node "${node.id}" (${node.op}) has no param "${w.role}"`, { nodeId: node.id, op: node.op });
      const t = tf.tidy(() => tf.clone(p.effective()));
      const values = (await t.data()) as Float32Array;
      t.dispose();
      const spec: ExportedWeightSpec = { name: `${name}/${w.keras}`, shape: [...p.shape], dtype: 'float32' };
      if (q !== undefined && p.shape.length >= 2) {
        if (q === 'float16') {
          chunks.push(encodeFloat16(values));
          spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
        } else {
          const r = quantizeTfjsAffine(values, q);
          chunks.push(r.bytes);
          spec.quantization = { dtype: q, scale: r.scale, min: r.min, original_dtype: 'float32' };
        }
      } else {
        chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      }
      specs.push(spec);
    }
  }
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    weights.set(c, o);
    o += c.byteLength;
  }
  const endpoint = (ids: readonly NodeId[]) => ids.map((id) => [outName(id), 0, 0]);
  const modelJson: LayersModelJSON = {
    format: 'layers-model',
    generatedBy: '@bonsai/interop',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: { name: options.name ?? 'bonsai_model', layers, input_layers: endpoint(g.inputs), output_layers: endpoint(g.outputs) },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [options.weightsFile ?? 'weights.bin'], weights: specs }],
  };
  return { modelJson: withPreprocessing(modelJson, options.preprocess), weights: weights.buffer, layerNames: names };
}

/**
 * Writes `model` to `dir` as a tfjs LayersModel (`model.json` + one weights file, atomically)
 * that stock `tf.loadLayersModel` loads. Returns the file names and sizes. Node only.
 */
export async function exportLayersModel(model: Model, dir: string, options: ExportOptions = {}): Promise<WrittenModel> {
  const weightsFile = weightsFileName('exportLayersModel', LAYERS_MODEL_FILE, options.weightsFile);
  return writeModelFolder(dir, LAYERS_MODEL_FILE, weightsFile, await toLayersArtifacts(model, { ...options, weightsFile }));
}
