import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkReadme, findMarkedTables, numbersIn, writeReadme } from '../src/readme';

describe('README bench tables', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const fixture = (readme: string): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-readme-'));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'p', 'bench-results'), { recursive: true });
    fs.writeFileSync(path.join(root, 'p', 'bench-results', 'speed.json'), JSON.stringify({
      settings: { batch: 64 },
      tables: [{ id: 'speed', columns: ['model', 'ms', 'ratio'], rows: [['dense', '1,235', '0.39x'], ['pruned', '482', '0.25x']] }],
      notes: ['98.10% -> 97.30%'],
    }));
    fs.writeFileSync(path.join(root, 'README.md'), readme);
    return root;
  };

  it('extracts measured numbers, not names', () => {
    expect(numbersIn('ResNet-50 int8 fc1 smallCnn 16-32: 1,235 ms, -0.30 pp, x0.194, 0.39x, 98.10%')).toEqual(['16', '32', '1,235', '0.30', '0.194', '0.39', '98.10']);
  });

  it('renders marked tables from results and fails when they drift', () => {
    const root = fixture('# x\n\n<!-- bench: p/bench-results/speed.json#speed -->\n| model | ms |\n|---|---|\n| dense | 1,300 |\n\nafter\n');
    expect(checkReadme(root, 'README.md')).toEqual([expect.stringMatching(/README.md:3: table differs from p\/bench-results\/speed.json#speed/)]);
    expect(writeReadme(root, 'README.md')).toBe(1);
    const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(text).toContain('| dense | 1,235 | 0.39x |\n| pruned | 482 | 0.25x |\n\nafter\n');
    expect(checkReadme(root, 'README.md')).toEqual([]);
    expect(writeReadme(root, 'README.md')).toBe(0);
  });

  it('checks every number of a hand-written summary table against the named files', () => {
    const ok = '<!-- bench: p/bench-results/speed.json -->\n| what | result |\n|---|---|\n| ResNet-50 pruned | 482 ms (0.39x), batch 64, 98.10% -> 97.30% |\n';
    expect(checkReadme(fixture(ok), 'README.md')).toEqual([]);
    const bad = ok.replace('482', '480');
    expect(checkReadme(fixture(bad), 'README.md')).toEqual([expect.stringMatching(/README.md:1: 480 .* is in none of p\/bench-results\/speed.json/)]);
    expect(checkReadme(fixture('<!-- bench: p/missing.json -->\n| a | b |\n|---|---|\n| x | 1 |\n'), 'README.md')).toEqual([expect.stringMatching(/missing.json: results file not found/)]);
    expect(checkReadme(fixture('<!-- bench: p/bench-results/speed.json#nope -->\n| a | b |\n|---|---|\n| x | 1 |\n'), 'README.md')).toEqual([expect.stringMatching(/no table 'nope' \(has: speed\)/)]);
    expect(findMarkedTables('<!-- bench: a.json b.json -->\n| a |\n')[0]).toMatchObject({ files: ['a.json', 'b.json'], line: 0 });
  });

});
