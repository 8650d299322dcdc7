import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRAPH_OP_EMITTERS, GRAPH_OP_IMPORTERS, GRAPH_OP_TARGETS, GRAPH_OP_WRITTEN_AS, graphModelOpTables } from '../src/index';

describe('README GraphModel op tables', () => {
  it('document exactly the converter tables', () => {
    expect(Object.keys(GRAPH_OP_TARGETS).sort()).toEqual(['Const', 'Placeholder', ...Object.keys(GRAPH_OP_IMPORTERS)].sort());
    expect(Object.keys(GRAPH_OP_WRITTEN_AS).sort()).toEqual(['input', ...Object.keys(GRAPH_OP_EMITTERS)].sort());
  });

  it('README.md holds the tables generated from them', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const m = /<!-- graph-model-ops:start -->\n([\s\S]*?)\n<!-- graph-model-ops:end -->/.exec(readme);
    expect(m, 'README markers').not.toBeNull();
    expect(m![1]).toBe(graphModelOpTables());
  });
});
