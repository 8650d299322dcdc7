import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReport, interleave, markdownTable, parseMarkdownTable, median, percentile, ratio, summarize, std, num, pct, spread } from '../src/index';

describe('stats', () => {
  it('median and percentile match hand computation (numpy linear method)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // numpy.percentile([1, 2, 3, 4, 10], [25, 90]) -> [2.0, 7.6]
    expect(percentile([10, 1, 4, 2, 3], 25)).toBe(2);
    expect(percentile([10, 1, 4, 2, 3], 90)).toBeCloseTo(7.6, 12);
    expect(percentile([5, 7], 0)).toBe(5);
    expect(percentile([5, 7], 100)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6], 50)).toBe(median([1, 2, 3, 4, 5, 6]));
    // statistics.stdev([2, 4, 4, 4, 5, 5, 7, 9]) = 2.138089935299395
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935299395, 12);
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, p25: 1.75, p75: 3.25, min: 1, max: 4, n: 4 });
  });

  it('rejects empty samples and bad percentiles', () => {
    expect(() => median([])).toThrow(/no samples/);
    expect(() => percentile([1], 101)).toThrow(/p must be/);
  });
});

describe('interleave', () => {
  it('runs variants round-robin, skips warm-up rounds and pairs ratios per round', async () => {
    const calls: string[] = [];
    const busy = (msTarget: number): void => {
      const t0 = performance.now();
      while (performance.now() - t0 < msTarget);
    };
    const r = await interleave({
      a: () => { calls.push('a'); busy(6); },
      b: async () => { calls.push('b'); busy(2); await Promise.resolve(); },
    }, { warmup: 1, runs: 3 });
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    expect(r.variants.a.samples).toHaveLength(3);
    expect(r.variants.b.samples).toHaveLength(3);
    expect(r.variants.a.median).toBeGreaterThanOrEqual(6);
    const q = r.ratio('a', 'b');
    const perRound = r.variants.a.samples.map((v, i) => v / r.variants.b.samples[i]!);
    expect(q.median).toBe(median(perRound));
    expect(q.median).toBeGreaterThan(1.5);
    expect(() => r.ratio('a', 'c' as 'b')).toThrow(/unknown variant c/);
  });

  it("clock 'cpu' counts CPU time: a busy loop, not a sleep", async () => {
    const busy = (msTarget: number): void => {
      const t0 = performance.now();
      while (performance.now() - t0 < msTarget);
    };
    const r = await interleave({
      spin: () => busy(30),
      sleep: () => new Promise((resolve) => setTimeout(resolve, 30)),
    }, { warmup: 0, runs: 2, clock: 'cpu' });
    // A 30 ms spin uses at most 30 ms of CPU (less when the machine is busy); a 30 ms sleep almost none.
    expect(r.variants.spin.max).toBeLessThanOrEqual(40);
    expect(r.variants.sleep.median).toBeLessThan(r.variants.spin.median);
    expect(r.variants.sleep.median).toBeLessThan(10);
  });

  it('rejects bad options', async () => {
    await expect(interleave({ a: () => 0 }, { clock: 'gpu' as 'cpu' })).rejects.toThrow(/clock/);
    await expect(interleave({ a: () => 0 }, { runs: 0 })).rejects.toThrow(/runs/);
    await expect(interleave({}, {})).rejects.toThrow(/no variants/);
  });
});

describe('tables and formats', () => {
  it('prints one Markdown table format', () => {
    expect(markdownTable(['model', 'ms', 'ratio'], [['a|b', 1.23456, 2], ['c', NaN, '0.50x']])).toBe(
      '| model | ms | ratio |\n| --- | ---: | ---: |\n| a\\|b | 1.235 | 2 |\n| c | — | 0.50x |',
    );
    expect(() => markdownTable(['a', 'b'], [['1']])).toThrow(/row 0 has 1 cells/);
    const md = markdownTable(['model', 'ms'], [['a|b', '1.25'], ['c', 2]]);
    expect(parseMarkdownTable(`Title\n\n${md}\n\nafter`)).toEqual({ columns: ['model', 'ms'], rows: [['a|b', '1.25'], ['c', '2']] });
    expect(() => parseMarkdownTable('no table')).toThrow(/no Markdown table/);
    expect(num(1234.56)).toBe('1,235');
    expect(ratio(0.3949)).toBe('0.39x');
    expect(pct(0.98125)).toBe('98.13%');
    expect(spread({ median: 1.2, p25: 1.1, p75: 1.3 })).toBe('1.20x (1.10x–1.30x)');
  });
});

describe('results writer', () => {
  const dirs: string[] = [];
  const smokeBefore = process.env.BONSAI_BENCH_SMOKE;
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    if (smokeBefore === undefined) delete process.env.BONSAI_BENCH_SMOKE;
    else process.env.BONSAI_BENCH_SMOKE = smokeBefore;
  });
  const tmpPackage = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-harness-'));
    dirs.push(d);
    fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name: '@bonsai/example' }));
    return d;
  };

  it('writes tables with machine, runtime, git and timestamp; smoke goes to bench-results/smoke', () => {
    delete process.env.BONSAI_BENCH_SMOKE;
    const dir = tmpPackage();
    const rep = createReport({ bench: 'speed', dir, settings: { batch: 64 }, print: false });
    rep.table('latency', { title: 'Latency', columns: ['model', 'ms'], rows: [['dense', '1.25']] });
    rep.note('a note');
    expect(() => rep.table('latency', { columns: ['x'], rows: [] })).toThrow(/duplicate table id/);
    const file = rep.write();
    expect(file).toBe(path.join(dir, 'bench-results', 'speed.json'));
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(json.package).toBe('@bonsai/example');
    expect(json.smoke).toBe(false);
    expect(json.settings).toEqual({ batch: 64 });
    expect(json.tables[0]).toEqual({ id: 'latency', title: 'Latency', columns: ['model', 'ms'], rows: [['dense', '1.25']] });
    expect(json.notes).toEqual(['a note']);
    expect(new Date(json.timestamp).toISOString()).toBe(json.timestamp);
    expect(json.machine.cores).toBe(os.cpus().length);
    expect(json.machine.node).toBe(process.version);
    expect(json.machine.loadAverage).toHaveLength(3);
    expect(json.runtime.tfjs).toMatch(/^4\./);
    expect(typeof json.git.dirty).toBe('boolean');

    process.env.BONSAI_BENCH_SMOKE = '1';
    const smokeFile = createReport({ bench: 'speed', dir, print: false }).write();
    expect(smokeFile).toBe(path.join(dir, 'bench-results', 'smoke', 'speed.json'));
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).smoke).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'bench-results', 'smoke', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(() => createReport({ bench: '../x', dir })).toThrow(/plain file name/);
  });
});
