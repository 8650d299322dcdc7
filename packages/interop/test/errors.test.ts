import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BonsaiError, initBackend, IoError, SerializationError, ShapeError } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLayersArtifacts, importLayersModel, InteropError } from '../src/index';
import { functionalNet, saveTfjsToFolder, sequentialCnn, tempDir, tfjsArtifacts } from './helpers';

// biome-ignore lint/suspicious/noExplicitAny: test fixtures poke into arbitrary JSON
type Json = Record<string, any>;

let base: { modelJson: Json; weights: ArrayBuffer };
let seqBase: { modelJson: Json; weights: ArrayBuffer };

beforeAll(async () => {
  await initBackend('wasm');
  const f = functionalNet();
  base = (await tfjsArtifacts(f)) as typeof base;
  f.dispose();
  const s = sequentialCnn();
  seqBase = (await tfjsArtifacts(s)) as typeof seqBase;
  s.dispose();
});

const clone = (j: Json): Json => JSON.parse(JSON.stringify(j)) as Json;
const layer = (j: Json, name: string): Json => (j.modelTopology.config.layers as Json[]).find((l) => l.name === name || l.config.name === name)!;

function importError(modelJson: Json, weights: ArrayBuffer = base.weights): unknown {
  const before = tf.memory().numTensors;
  try {
    importLayersArtifacts({ modelJson, weights }).dispose();
    return undefined;
  } catch (e) {
    expect(tf.memory().numTensors).toBe(before); // nothing leaks on failure
    return e;
  }
}

describe('import errors are typed and name the culprit', () => {
  it('unsupported layer class: InteropError naming layer and class', () => {
    const j = clone(base.modelJson);
    layer(j, 'gap').class_name = 'GlobalAveragePooling3D';
    const e = importError(j);
    expect(e).toBeInstanceOf(InteropError);
    expect(e).toMatchObject({ code: 'INTEROP', details: { layer: 'gap', className: 'GlobalAveragePooling3D' } });
    expect((e as Error).message).toContain('"gap"');
  });

  it('channels_first: InteropError on data_format', () => {
    const j = clone(seqBase.modelJson);
    j.modelTopology.config.layers[0].config.data_format = 'channels_first';
    expect(importError(j, seqBase.weights)).toMatchObject({ code: 'INTEROP', details: { layer: 'conv1', className: 'Conv2D', key: 'data_format' } });
  });

  it('unsupported activations and options', () => {
    const j = clone(base.modelJson);
    layer(j, 'branch_a').config.activation = 'softplus';
    expect(importError(j)).toMatchObject({ code: 'INTEROP', details: { layer: 'branch_a', key: 'activation' } });
    const k = clone(base.modelJson);
    layer(k, 'cat_relu6').config.max_value = -3;
    expect(importError(k)).toMatchObject({ code: 'INTEROP', details: { layer: 'cat_relu6', key: 'max_value' } });
  });

  it('cycles, duplicate names and unknown inbound layers', () => {
    const cyc = clone(base.modelJson);
    layer(cyc, 'stem').inbound_nodes = [[['probs', 0, 0, {}]]];
    expect(importError(cyc)).toMatchObject({ code: 'INTEROP' });
    expect((importError(cyc) as Error).message).toContain('cycle');
    const dup = clone(base.modelJson);
    layer(dup, 'branch_b').name = 'branch_a';
    expect((importError(dup) as Error).message).toContain('duplicate layer name "branch_a"');
    const unk = clone(base.modelJson);
    layer(unk, 'gap').inbound_nodes = [[['nowhere', 0, 0, {}]]];
    expect(importError(unk)).toMatchObject({ code: 'INTEROP', details: { layer: 'gap' } });
  });

  it('wrong dtype, truncated weights and huge shapes: SerializationError before any allocation', () => {
    const j = clone(base.modelJson);
    j.weightsManifest[0].weights[0].dtype = 'int32';
    expect(importError(j)).toBeInstanceOf(SerializationError);
    expect(importError(base.modelJson, base.weights.slice(0, base.weights.byteLength - 4))).toBeInstanceOf(SerializationError);
    const huge = clone(base.modelJson);
    huge.weightsManifest[0].weights[0].shape = [1e9, 1e9, 3];
    const bytesBefore = tf.memory().numBytes;
    const e = importError(huge);
    expect(e).toBeInstanceOf(SerializationError);
    expect((e as Error).message).toContain('stem/kernel');
    expect(tf.memory().numBytes).toBe(bytesBefore);
    // A huge input (3e12 values per sample: no tfjs tensor can hold one) is refused at import, naming
    // the layer, even where the weights do not depend on H, W (conv -> GAP); one that feeds a
    // Flatten -> Dense fails on the shape too; neither allocates.
    const hugeInput = clone(base.modelJson);
    layer(hugeInput, 'image').config.batch_input_shape = [null, 1e6, 1e6, 3];
    const e1 = importError(hugeInput);
    expect(e1).toBeInstanceOf(BonsaiError);
    expect((e1 as Error).message).toMatch(/"image".*3\.00e\+12 elements per sample/);
    const hugeSeq = clone(seqBase.modelJson);
    hugeSeq.modelTopology.config.layers[0].config.batch_input_shape = [null, 1e6, 1e6, 2];
    const e2 = importError(hugeSeq, seqBase.weights);
    expect(e2).toBeInstanceOf(ShapeError);
    expect(e2).toBeInstanceOf(BonsaiError);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });

  it('manifest shape vs layer config mismatch: ShapeError naming the node', () => {
    const j = clone(base.modelJson);
    const w = (j.weightsManifest[0].weights as Json[]).find((x) => x.name === 'stem/kernel')!;
    w.shape = [3, 3, 8, 3]; // same byte count, transposed channel axes
    const e = importError(j);
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as Error).message).toContain('Node "stem"');
    const k = clone(base.modelJson);
    layer(k, 'logits').config.units = 4;
    expect(importError(k)).toBeInstanceOf(ShapeError);
  });

  it('missing and orphan weights are SerializationErrors naming the weight', () => {
    const j = clone(base.modelJson);
    (j.weightsManifest[0].weights as Json[]).find((x) => x.name === 'logits/bias')!.name = 'logits/other';
    const e = importError(j);
    expect(e).toBeInstanceOf(SerializationError);
    expect((e as Error).message).toContain('logits/bias');
  });
});

describe('loading from a folder is confined and checks file sizes', () => {
  it('weight paths escaping the folder are refused (.., absolute, symlink)', async () => {
    const dir = await tempDir('escape');
    const m = functionalNet();
    await saveTfjsToFolder(m, join(dir, 'model'));
    m.dispose();
    const json = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')) as Json;
    await writeFile(join(dir, 'outside.bin'), new Uint8Array(await readFile(join(dir, 'model', 'weights.bin'))));
    for (const p of ['../outside.bin', join(dir, 'outside.bin'), 'link.bin']) {
      const d = join(dir, `case-${Math.abs(p.length)}-${p.replace(/\W/g, '')}`);
      await mkdir(d, { recursive: true });
      if (p === 'link.bin') await symlink(join(dir, 'outside.bin'), join(d, 'link.bin'));
      const j = clone(json);
      j.weightsManifest[0].paths = [p];
      await writeFile(join(d, 'model.json'), JSON.stringify(j));
      const err = await importLayersModel(d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerializationError);
      expect((err as SerializationError).details.file).toBe(p);
    }
  });

  it('a truncated weights file is a SerializationError naming the file; a missing model.json an IoError', async () => {
    const dir = await tempDir('trunc');
    const m = sequentialCnn();
    await saveTfjsToFolder(m, dir);
    m.dispose();
    const bytes = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), bytes.subarray(0, bytes.byteLength - 10));
    const err = await importLayersModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toContain('weights.bin');
    const none = await importLayersModel(join(dir, 'nope')).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(IoError);
    expect((none as Error).message).toContain('model.json');
  });
});
