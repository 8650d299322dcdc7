import { describe, expect, it } from 'vitest';
import { demoRecipe, parseRecipe, parseRecipeText, RecipeError, type RecipeInput } from '../src/index';

const base: RecipeInput = { model: { zoo: 'smallCnn' }, data: { dataset: 'mnist', trainSize: 100 }, steps: [{ type: 'train', epochs: 1 }] };

function recipeError(raw: unknown): RecipeError {
  try {
    parseRecipe(raw, 'r.json');
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeError);
    return e as RecipeError;
  }
  throw new Error('expected a RecipeError');
}

describe('recipe validation', () => {
  it('fills defaults', () => {
    const r = parseRecipe({ model: { zoo: 'smallCnn' }, steps: [{ type: 'prune', method: 'structured', ratio: 0.5 }, { type: 'quantize', method: 'static' }] });
    expect(r.backend).toBe('wasm');
    expect(r.data).toEqual({ dataset: 'mnist', testFraction: 0.2, seed: 42, batchSize: 64 });
    expect(r.steps[0]).toEqual({ type: 'prune', method: 'structured', importance: 'l1', ratio: 0.5, global: false, ignored: [], iterativeSteps: 1, taylorBatches: 8 });
    expect(r.steps[1]).toMatchObject({ type: 'quantize', method: 'static', dtype: 'int8', perChannel: true, calibrationSamples: 512 });
  });

  it('accepts the example from the docs and the demo recipes', () => {
    const doc = {
      model: { zoo: 'smallCnn' }, data: { dataset: 'mnist', trainSize: 8000 },
      steps: [
        { type: 'train', epochs: 3 }, { type: 'prune', method: 'structured', importance: 'l1', ratio: 0.5 },
        { type: 'gradualPrune', finalSparsity: 0.9, epochs: 5 }, { type: 'fineTune', epochs: 1, kd: true },
        { type: 'quantize', method: 'static', perChannel: true }, { type: 'eval' },
      ],
      output: 'out/compressed',
    };
    expect(parseRecipe(doc).steps).toHaveLength(6);
    for (const fast of [true, false]) for (const compress of [true, false]) expect(() => parseRecipe(demoRecipe({ fast, compress, out: 'out' }))).not.toThrow();
  });

  it('names the JSON path of a bad field', () => {
    const e = recipeError({ ...base, steps: [{ type: 'train', epochs: 1 }, { type: 'prune', method: 'structured', ratio: 1.5 }] });
    expect(e.path).toBe('steps[1].ratio');
    expect(e.message).toBe('r.json: steps[1].ratio: Number must be less than 1');
  });

  it('names unknown step types, unknown fields and missing fields', () => {
    expect(recipeError({ ...base, steps: [{ type: 'shrink' }] }).path).toBe('steps[0].type');
    expect(recipeError({ ...base, steps: [{ type: 'shrink' }] }).message).toMatch(/unknown step type: expected one of "train", "fineTune"/);
    const typo = recipeError({ ...base, steps: [{ type: 'train', epochs: 1, learningRate: 0.1 }] });
    expect(typo.path).toBe('steps[0]');
    expect(typo.message).toContain('unknown field "learningRate"');
    const missing = recipeError({ ...base, steps: [{ type: 'prune', ratio: 0.5 }] });
    expect(missing.path).toBe('steps[0].method');
    expect(recipeError({ ...base, data: { dataset: 'cifar' } }).path).toBe('data.dataset');
    expect(recipeError({ ...base, steps: [] }).path).toBe('steps');
    expect(recipeError({ steps: base.steps }).path).toBe('model');
  });

  it('checks the model source and the step order', () => {
    expect(recipeError({ ...base, model: { zoo: 'smallCnn', load: 'out/dense' } }).message).toMatch(/model: give exactly one of "zoo", "load" or "import" \(got "zoo", "load"\)/);
    expect(recipeError({ ...base, model: { zoo: 'alexnet' } }).path).toBe('model.zoo');
    expect(recipeError({ ...base, model: { load: 'x', options: { widths: [8] } } }).path).toBe('model.options');
    const order = recipeError({ ...base, steps: [{ type: 'quantize', method: 'dynamic' }, { type: 'eval' }, { type: 'fineTune', epochs: 1 }] });
    expect(order.path).toBe('steps[2].type');
    expect(order.message).toMatch(/"fineTune" cannot follow the quantize step at steps\[0\]/);
  });

  it('lists every problem, first one in the path', () => {
    const e = recipeError({ ...base, seed: -1, steps: [{ type: 'train', epochs: 'three' }] });
    expect(e.path).toBe('seed');
    expect(e.message).toContain('\n  steps[0].epochs: expected number, got string');
  });

  it('reports invalid JSON', () => {
    expect(() => parseRecipeText('{ "model": ', 'bad.json')).toThrow(/bad.json: invalid JSON/);
  });
});
