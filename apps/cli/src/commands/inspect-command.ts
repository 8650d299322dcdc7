import { BonsaiError, initBackend, type Model } from '@bonsai/core';
import { countMacs, countParams, formatBytes, formatCount } from '@bonsai/eval';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlagSpecs, FlagValues } from '../args';
import type { RunContext } from '../context';
import { UsageError } from '../errors';
import type { CliIo } from '../io';
import { FORMAT_NAMES, loadLocated, locateModel, type ModelFormat, type ModelLocation } from '../model-format';
import { resolvePath } from '../model-source';

/** Flags of `bonsai inspect` (besides the common ones). */
export const INSPECT_FLAGS: FlagSpecs = {};

/** A model input or output. */
export interface TensorInfo {
  name: string;
  /** With the batch dimension first (-1 = any). */
  shape: number[];
}

/** What `bonsai inspect` reports (the `result` of `--json`). */
export interface InspectResult {
  path: string;
  format: ModelFormat;
  formatName: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Node count per op (Bonsai op names; a GraphModel read without the importer: its TF op names). */
  ops: Record<string, number>;
  params: number;
  /** Multiply-accumulates per sample; undefined when they cannot be computed. */
  macs?: number;
  /** model.json and the weight files it names, in bytes. */
  bytes: number;
  files: Array<{ name: string; bytes: number }>;
  /** What could not be determined, and why. */
  notes: string[];
}

function countOps(ops: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) out[op] = (out[op] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Files a model.json names: itself, every weights-manifest path and Bonsai's packed int8 file. */
async function modelFiles(loc: ModelLocation): Promise<Array<{ name: string; bytes: number }>> {
  const names = new Set<string>(['model.json']);
  const manifest = loc.json.weightsManifest;
  if (Array.isArray(manifest)) for (const g of manifest) for (const p of (g as { paths?: unknown }).paths as unknown[] ?? []) if (typeof p === 'string') names.add(p);
  const q = loc.json.quantization as { path?: unknown } | undefined;
  if (typeof q?.path === 'string') names.add(q.path);
  const out: Array<{ name: string; bytes: number }> = [];
  for (const name of names) {
    try {
      out.push({ name, bytes: (await stat(join(loc.dir, name))).size });
    } catch {
      out.push({ name, bytes: 0 });
    }
  }
  return out;
}

/** Inputs, outputs, op counts, params and MACs of a loaded model. */
function describeModel(model: Model): Pick<InspectResult, 'inputs' | 'outputs' | 'ops' | 'params' | 'macs'> {
  const g = model.graph;
  return {
    inputs: g.inputs.map((id) => ({ name: id, shape: [-1, ...g.shape(id)] })),
    outputs: g.outputs.map((id) => ({ name: id, shape: [-1, ...g.shape(id)] })),
    ops: countOps(g.nodes.filter((n) => !g.inputs.includes(n.id)).map((n) => n.op)),
    params: countParams(model),
    macs: countMacs(model).dense,
  };
}

interface GraphNodeJson { name: string; op: string; input?: string[]; attr?: Record<string, { shape?: { dim?: Array<{ size?: string | number }> } }> }

/** A GraphModel's signature and op counts straight from its model.json (for models with ops Bonsai cannot import). */
function describeGraphJson(loc: ModelLocation): Pick<InspectResult, 'inputs' | 'outputs' | 'ops' | 'params'> {
  const topology = loc.json.modelTopology as { node?: GraphNodeJson[] };
  const nodes = topology.node ?? [];
  const consumed = new Set(nodes.flatMap((n) => (n.input ?? []).map((i) => i.replace(/^\^/, '').split(':')[0]!)));
  const shapeOf = (n: GraphNodeJson): number[] => (n.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
  const manifest = (loc.json.weightsManifest as Array<{ weights: Array<{ shape: number[] }> }> | undefined) ?? [];
  const params = manifest.flatMap((g) => g.weights).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
  const weightNames = new Set(manifest.flatMap((g) => g.weights.map((w) => (w as { name?: string }).name)));
  return {
    inputs: nodes.filter((n) => n.op === 'Placeholder').map((n) => ({ name: n.name, shape: shapeOf(n) })),
    outputs: nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => ({ name: n.name, shape: [] })),
    ops: countOps(nodes.filter((n) => n.op !== 'Placeholder' && !(n.op === 'Const' && weightNames.has(n.name))).map((n) => n.op)),
    params,
  };
}

/**
 * `bonsai inspect <model>`: format, inputs/outputs with shapes, op counts, params, MACs and file
 * size of a tfjs LayersModel or GraphModel (`model.json` or its folder) or a Bonsai folder.
 */
export async function runInspect(path: string | undefined, flags: FlagValues, io: CliIo, ctx: RunContext): Promise<InspectResult> {
  if (!path) throw new UsageError('inspect needs <model> (a model.json or the folder holding it)', 'inspect');
  const loc = await locateModel(resolvePath(io.cwd, path), path);
  const files = await modelFiles(loc);
  const notes: string[] = [];
  await initBackend(typeof flags.backend === 'string' ? (flags.backend as 'wasm' | 'cpu') : 'wasm');
  let model: Model | undefined;
  try {
    model = await loadLocated(loc);
  } catch (e) {
    // A GraphModel with ops Bonsai cannot import is still described from its model.json.
    if (loc.format !== 'graph-model' || !(e instanceof BonsaiError)) throw e;
    notes.push(`not importable into Bonsai (${e.message}); ops are TF op names, MACs and output shapes unknown`);
  }
  let described: Pick<InspectResult, 'inputs' | 'outputs' | 'ops' | 'params' | 'macs'>;
  if (model) {
    try {
      described = describeModel(model);
    } finally {
      model.dispose();
    }
  } else described = describeGraphJson(loc);
  const result: InspectResult = { path, format: loc.format, formatName: FORMAT_NAMES[loc.format], ...described, bytes: files.reduce((a, f) => a + f.bytes, 0), files, notes };
  const shape = (s: number[]): string => `[${s.map((d) => (d < 0 ? '?' : d)).join(', ')}]`;
  ctx.report(
    [
      `model:   ${path}`,
      `format:  ${result.formatName}`,
      `inputs:  ${result.inputs.map((t) => `${t.name} ${shape(t.shape)}`).join(', ') || '(none found)'}`,
      `outputs: ${result.outputs.map((t) => `${t.name}${t.shape.length ? ` ${shape(t.shape)}` : ''}`).join(', ') || '(none found)'}`,
      `ops:     ${Object.entries(result.ops).map(([op, n]) => `${op} ${n}`).join(', ')}`,
      `params:  ${formatCount(result.params)} (${result.params})`,
      `MACs:    ${result.macs !== undefined ? `${formatCount(result.macs)} per sample (${result.macs})` : 'n/a'}`,
      `size:    ${formatBytes(result.bytes)} (${files.map((f) => `${f.name} ${f.bytes}`).join(', ')})`,
      ...notes.map((n) => `note:    ${n}`),
    ].join('\n'),
  );
  return result;
}
