import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bonsai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importGraphModelArtifacts, importLayersArtifacts, readPreprocessing, toGraphModelArtifacts, toLayersArtifacts, withPreprocessing } from '../src/index';
import { loadStockGraphModel, readArtifacts, REAL_MODELS } from './graph-model-helpers';
import { loadWithTfjs, sequentialCnn, tfjsArtifacts } from './helpers';

describe('preprocessing metadata (userDefinedMetadata.bonsai.preprocess)', () => {
  beforeAll(() => initBackend('wasm'));

  it('reads only a string under userDefinedMetadata.bonsai and keeps other metadata when writing', () => {
    expect(readPreprocessing({})).toBeUndefined();
    expect(readPreprocessing({ userDefinedMetadata: { bonsai: { preprocess: 3 } } })).toBeUndefined();
    expect(readPreprocessing(null)).toBeUndefined();
    const json = { format: 'graph-model', userDefinedMetadata: { signature: { inputs: {} }, bonsai: { producer: 'x' } } };
    const out = withPreprocessing(json, 'imagenet');
    expect(out).toEqual({ format: 'graph-model', userDefinedMetadata: { signature: { inputs: {} }, bonsai: { producer: 'x', preprocess: 'imagenet' } } });
    expect(json.userDefinedMetadata.bonsai).toEqual({ producer: 'x' });
    expect(readPreprocessing(out)).toBe('imagenet');
    expect(withPreprocessing(json, undefined)).toBe(json);
  });

  it('a GraphModel export records it beside the converter signature; stock tfjs-converter loads the file and sees it', async () => {
    const model = await importGraphModelArtifacts(await readArtifacts(REAL_MODELS.emotion.file));
    const art = await toGraphModelArtifacts(model, { preprocess: '[-1,1]' });
    const json = art.modelJson as unknown as Record<string, unknown>;
    expect(readPreprocessing(json)).toBe('[-1,1]');
    // the converter put its signature under userDefinedMetadata: it stays there, beside Bonsai's entry
    const udm = json.userDefinedMetadata as Record<string, unknown>;
    expect(Object.keys(udm).sort()).toEqual(['bonsai', 'signature']);
    const stock = await loadStockGraphModel({ modelJson: json, weights: art.weights });
    expect((stock.metadata as Record<string, unknown>).bonsai).toEqual({ preprocess: '[-1,1]' });
    expect(stock.inputs[0]!.name).toBe('input_1');
    const x = tf.zeros([1, 64, 64, 1]);
    const y = stock.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 7]);
    tf.dispose([x, y]);
    stock.dispose();
    model.dispose();
  });

  it('a LayersModel export records it; stock tfjs-layers loads the file', async () => {
    const source = sequentialCnn();
    const model = await importLayersArtifacts(await tfjsArtifacts(source));
    const art = await toLayersArtifacts(model, { preprocess: 'none' });
    expect(readPreprocessing(art.modelJson)).toBe('none');
    const stock = await loadWithTfjs({ modelJson: art.modelJson as unknown as Record<string, unknown>, weights: art.weights });
    expect(stock.outputs[0]!.shape).toEqual(source.outputs[0]!.shape);
    stock.dispose();
    source.dispose();
    model.dispose();
  });
});
