import { readFile, writeFile } from 'node:fs/promises';
import { getOp, listOps } from '@bonsai/core';
import { describe, expect, it } from 'vitest';
import { LAYER_EMITTERS, LAYER_ENTRIES, LAYER_UNEXPORTABLE, layersTableMarkdown } from '../src/index';

const README = new URL('../README.md', import.meta.url);
const START = '<!-- layers-table:start (generated from src/layers by test/tables.test.ts; BONSAI_UPDATE_README=1 rewrites it) -->';
const END = '<!-- layers-table:end -->';

describe('Keras converter tables', () => {
  it('every converter points at registered core ops', () => {
    const registered = new Set(listOps());
    for (const e of LAYER_ENTRIES) {
      for (const op of [...e.ops, ...Object.keys(e.export ?? {})]) expect(registered, `${e.className} -> ${op}`).toContain(op);
    }
    for (const op of Object.keys(LAYER_UNEXPORTABLE)) expect(registered, `unexportable ${op}`).toContain(op);
  });

  it('every registered core op has a Keras export path or is listed as not exportable with a reason', () => {
    const missing = listOps().filter((op) => !(op in LAYER_EMITTERS) && !(op in LAYER_UNEXPORTABLE));
    expect(missing).toEqual([]);
    for (const reason of Object.values(LAYER_UNEXPORTABLE)) expect(reason.length).toBeGreaterThan(10);
  });

  it('every op an importer produces can be written back (or says why not)', () => {
    for (const e of LAYER_ENTRIES) for (const op of e.ops) expect(op in LAYER_EMITTERS || op in LAYER_UNEXPORTABLE, `${e.className} -> ${op}`).toBe(true);
    expect(getOp('input').graphInput).toBe(true);
  });

  it('the README layer table is the one generated from the tables', async () => {
    const text = await readFile(README, 'utf8');
    const generated = `${START}\n${layersTableMarkdown()}\n${END}`;
    const s = text.indexOf(START);
    const e = text.indexOf(END);
    if (process.env.BONSAI_UPDATE_README === '1') {
      const next = s >= 0 && e > s ? text.slice(0, s) + generated + text.slice(e + END.length) : `${text.trimEnd()}\n\n${generated}\n`;
      await writeFile(README, next);
      return;
    }
    expect(s, 'README has no generated layer table: run with BONSAI_UPDATE_README=1').toBeGreaterThanOrEqual(0);
    expect(text.slice(s, e + END.length)).toBe(generated);
  });
});
