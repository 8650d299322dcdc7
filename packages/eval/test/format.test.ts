import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatMs, formatPercent, formatRatio, markdownTable, median, quantile, summarize } from '../src/index';

describe('formatting', () => {
  it('uses human units', () => {
    expect([formatCount(7), formatCount(1234), formatCount(4.5e6), formatCount(2.1e9)]).toEqual(['7', '1.23k', '4.50M', '2.10G']);
    expect([formatBytes(512), formatBytes(412672), formatBytes(5 * 1024 ** 2)]).toEqual(['512 B', '403.0 KB', '5.00 MB']);
    expect([formatMs(0.0123), formatMs(1.234), formatMs(123.4), formatMs(1234)]).toEqual(['12.3 µs', '1.23 ms', '123 ms', '1.23 s']);
    expect([formatPercent(0.98123), formatRatio(4), formatRatio(Infinity)]).toEqual(['98.12%', '4.00x', '∞x']);
    expect(markdownTable(['a', 'b'], [['x|y', '1']])).toBe('| a | b |\n| --- | ---: |\n| x\\|y | 1 |');
    expect(markdownTable(['a', 'b', 'c'], [], 2).split('\n')[1]).toBe('| --- | --- | ---: |');
  });

  it('summarizes samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5, 12);
    const s = summarize([4, 1, 3, 2]);
    expect(s).toMatchObject({ median: 2.5, mean: 2.5, min: 1, max: 4 });
    expect(s.p95).toBeCloseTo(3.85, 12);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
