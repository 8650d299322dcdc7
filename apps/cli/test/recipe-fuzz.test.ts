import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, type Rng } from '@bonsai/core';
import { describe, expect, it } from 'vitest';
import { demoRecipe, parseRecipe, parseRecipeText, RecipeError } from '../src/index';

const recipesDir = join(import.meta.dirname, '..', 'recipes');
const seeds: unknown[] = [
  ...readdirSync(recipesDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(recipesDir, f), 'utf8')) as unknown),
  demoRecipe({ fast: false, out: 'out', compress: true }),
];

const ODD: readonly unknown[] = [
  null, 0, -1, 0.5, 1.5, 2, 1e9, -1e308, 1e308, '', 'abc', '__proto__', 'constructor', true, false, [], {}, [null], { type: 'train' },
  'mnist', 'smallCnn', 'structured', 'int8', 'uint8', 'taylor', 'bnScale', 'l1', [0.5], { zoo: 'vit' }, { dataset: 'synthetic' },
];
const KEYS = ['type', 'ratio', 'epochs', 'model', 'data', 'steps', 'method', 'dtype', 'importance', 'zoo', '__proto__', 'constructor', 'x'];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

/** Every (container, key) slot of a JSON value. */
function slots(root: unknown): Array<{ parent: Record<string | number, unknown>; key: string | number }> {
  const out: Array<{ parent: Record<string | number, unknown>; key: string | number }> = [];
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    for (const [k, c] of Object.entries(v)) {
      out.push({ parent: v as Record<string | number, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** One structural or textual mutation of a recipe: JSON text out. */
function mutate(rng: Rng, seed: unknown): string {
  const r = structuredClone(seed) as Record<string, unknown>;
  const n = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < n; i++) {
    const all = slots(r);
    if (all.length === 0) break;
    const s = pick(rng, all);
    const op = rng();
    if (op < 0.5) s.parent[s.key] = structuredClone(pick(rng, ODD));
    else if (op < 0.7) delete s.parent[s.key];
    else if (op < 0.85 && typeof s.parent[s.key] === 'object' && s.parent[s.key] !== null) (s.parent[s.key] as Record<string, unknown>)[pick(rng, KEYS)] = structuredClone(pick(rng, ODD));
    else s.parent[s.key] = structuredClone(get(all, rng));
  }
  let text = JSON.stringify(r);
  const t = rng();
  if (t < 0.1) text = text.slice(0, Math.floor(rng() * text.length));
  else if (t < 0.2) {
    const at = Math.floor(rng() * text.length);
    text = text.slice(0, at) + String.fromCharCode(Math.floor(rng() * 128)) + text.slice(at + 1);
  }
  return text;
}

function get(all: ReturnType<typeof slots>, rng: Rng): unknown {
  const s = pick(rng, all);
  return s.parent[s.key];
}

describe('recipe fuzz', () => {
  it('6k mutated recipes: a valid Recipe (stable under re-parsing) or a RecipeError naming a path, nothing else, no hang', () => {
    const rng = createRng(2026);
    let accepted = 0;
    let rejected = 0;
    const started = Date.now();
    for (let i = 0; i < 6_000; i++) {
      const text = mutate(rng, seeds[i % seeds.length]);
      try {
        const recipe = parseRecipeText(text, 'fuzz.json');
        // An accepted recipe is a fixed point of validation (defaults filled once, nothing lost).
        expect(parseRecipe(JSON.parse(JSON.stringify(recipe)))).toEqual(recipe);
        accepted++;
      } catch (e) {
        if (!(e instanceof RecipeError)) throw new Error(`case ${i}: untyped ${String(e)} for ${text}`);
        expect(e.message.startsWith('fuzz.json: ')).toBe(true);
        rejected++;
      }
    }
    expect(accepted + rejected).toBe(6_000);
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(1000);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
