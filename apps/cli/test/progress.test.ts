import { describe, expect, it } from 'vitest';
import { BufferSink, formatDuration, ProgressBar } from '../src/index';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('ProgressBar', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
  });

  it('prints plain lines after the first batch, every 25% and at the end when the sink is not a TTY', () => {
    const sink = new BufferSink(false);
    const c = clock();
    const bar = new ProgressBar({ sink, now: c.now, width: 10 });
    bar.start('epoch 1/2', 8);
    for (let i = 1; i <= 8; i++) {
      c.advance(1000);
      bar.update(i, { loss: 1 / i, samples: i * 64 });
    }
    bar.finish('acc 99%');
    const lines = sink.text().trimEnd().split('\n');
    expect(lines).toEqual([
      'epoch 1/2 [#.........] 1/8 loss 1.0000 64 samples/s ETA 0:07',
      'epoch 1/2 [###.......] 2/8 loss 0.5000 64 samples/s ETA 0:06',
      'epoch 1/2 [#####.....] 4/8 loss 0.2500 64 samples/s ETA 0:04',
      'epoch 1/2 [########..] 6/8 loss 0.1667 64 samples/s ETA 0:02',
      'epoch 1/2 [##########] 8/8 loss 0.1250 64 samples/s in 0:08 acc 99%',
    ]);
    expect(sink.text()).not.toContain('\r');
  });

  it('redraws in place on a TTY and ends the line on finish', () => {
    const sink = new BufferSink(true, 200);
    const c = clock();
    const bar = new ProgressBar({ sink, now: c.now, width: 4 });
    bar.start('calibrate', 2);
    c.advance(500);
    bar.update(1);
    c.advance(500);
    bar.update(2);
    bar.finish();
    expect(sink.text()).toBe('\rcalibrate [##..] 1/2 ETA 0:01\x1b[K\rcalibrate [####] 2/2 ETA 0:00\x1b[K\rcalibrate [####] 2/2 in 0:01\x1b[K\n');
  });

  it('writes nothing when quiet', () => {
    const sink = new BufferSink(false);
    const bar = new ProgressBar({ sink, quiet: true });
    bar.start('x', 4);
    bar.update(4, { loss: 1 });
    bar.finish();
    expect(sink.text()).toBe('');
  });
});
