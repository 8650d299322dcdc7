import { beforeAll, describe, expect, it } from 'vitest';
import { formatSparsityReport, l1Unstructured, sparsityReport } from '../src/index';
import { noLeaks, setValues, tinyMlp, useWasm } from './unstructured-helpers';

beforeAll(useWasm);

describe('sparsityReport', () => {
  it('counts zeros per layer and in total, and formats Markdown', async () => {
    const m = tinyMlp();
    l1Unstructured(m, { amount: { fc1: 0.25, fc2: 0.5 } });
    const r = await noLeaks(() => sparsityReport(m));
    expect(r.rows.map((x) => [x.name, x.size, x.zeros, x.masked])).toEqual([
      ['fc1/kernel', 128, 32, true],
      ['fc2/kernel', 64, 32, true],
    ]);
    expect(r.total).toEqual({ size: 192, zeros: 64, sparsity: 64 / 192 });
    const all = sparsityReport(m, { params: 'all' });
    expect(all.rows.map((x) => x.name)).toEqual(['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias']);
    expect(all.total.zeros).toBe(64 + 16 + 4); // biases are initialized to zero
    // Exact zeros in unmasked values count too.
    setValues(m.param('fc2', 'bias')!, [1, 0, 2, 3]);
    expect(sparsityReport(m, { params: ['fc2/bias'] }).total.zeros).toBe(1);
    const md = formatSparsityReport(r, 'MLP');
    expect(md.split('\n')).toEqual([
      '### MLP',
      '',
      '| param | shape | size | zeros | sparsity | masked |',
      '| --- | --- | ---: | ---: | ---: | --- |',
      '| fc1/kernel | [8, 16] | 128 | 32 | 25.00% | yes |',
      '| fc2/kernel | [16, 4] | 64 | 32 | 50.00% | yes |',
      '| **total** | | 192 | 64 | 33.33% | |',
    ]);
    expect(() => sparsityReport(m, { params: ['nope'] })).toThrow(/Unknown param or node "nope"/);
    m.dispose();
  });
});
