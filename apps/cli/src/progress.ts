import type { TextSink } from './io';

/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  /** Where to draw (stderr). */
  sink: TextSink;
  /** Draw nothing at all. */
  quiet?: boolean;
  /** Clock in ms (injectable for tests). */
  now?: () => number;
  /** Non-TTY mode: print a plain line every this many percent of a task (default 25). */
  lineEveryPercent?: number;
  /** Bar width in characters (default 24). */
  width?: number;
}

/** Values shown next to the bar. */
export interface ProgressValues {
  /** Shown as `loss 0.1234`. */
  loss?: number;
  /** Samples processed since the task started; enables `samples/s`. */
  samples?: number;
}

/** `75` -> `1:15`; `3725` -> `1:02:05`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * A dependency-free progress bar for long loops (training epochs, calibration). On a TTY it
 * redraws one line in place (`\r`); elsewhere (CI, pipes) it prints a plain line every
 * `lineEveryPercent` and at the end, so logs stay readable.
 *
 * `epoch 2/5 [##########..............] 52/125 loss 0.1234 1450 samples/s ETA 0:12`
 */
export class ProgressBar {
  private label = '';
  private total = 0;
  private current = 0;
  private values: ProgressValues = {};
  private started = 0;
  private lastLinePercent = -1;
  private lastDraw = 0;
  private active = false;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Starts a task of `total` units (batches) named `label` (e.g. `epoch 1/5`). */
  start(label: string, total: number): void {
    if (this.active) this.finish();
    this.label = label;
    this.total = Math.max(0, total);
    this.current = 0;
    this.values = {};
    this.started = this.now();
    this.lastLinePercent = -1;
    this.lastDraw = 0;
    this.active = true;
  }

  /** Sets progress to `current` of `total` units. */
  update(current: number, values: ProgressValues = {}): void {
    if (!this.active) return;
    this.current = Math.min(current, this.total || current);
    this.values = { ...this.values, ...values };
    if (this.options.quiet) return;
    if (this.options.sink.isTTY) {
      const t = this.now();
      if (t - this.lastDraw < 80 && this.current < this.total) return;
      this.lastDraw = t;
      this.options.sink.write(`\r${this.render()}\x1b[K`);
      return;
    }
    const every = this.options.lineEveryPercent ?? 25;
    const pct = this.total > 0 ? Math.floor(((this.current / this.total) * 100) / every) * every : 0;
    if (pct > this.lastLinePercent && pct < 100) {
      this.lastLinePercent = pct;
      if (this.current > 0) this.options.sink.write(`${this.render()}\n`);
    }
  }

  /** Ends the task, leaving its final line (with `suffix`, e.g. the epoch's test accuracy). */
  finish(suffix = ''): void {
    if (!this.active) return;
    this.active = false;
    if (this.options.quiet) return;
    const line = `${this.render(true)}${suffix ? ` ${suffix}` : ''}`;
    this.options.sink.write(this.options.sink.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  /** The current line, without control characters. */
  render(final = false): string {
    const elapsed = (this.now() - this.started) / 1000;
    const width = this.options.width ?? 24;
    const frac = this.total > 0 ? this.current / this.total : 1;
    const filled = Math.round(frac * width);
    const parts = [`${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.current}/${this.total}`];
    if (this.values.loss !== undefined) parts.push(`loss ${this.values.loss.toFixed(4)}`);
    if (this.values.samples !== undefined && elapsed > 0) parts.push(`${Math.round(this.values.samples / elapsed)} samples/s`);
    if (final) parts.push(`in ${formatDuration(elapsed)}`);
    else parts.push(`ETA ${this.current > 0 ? formatDuration((elapsed / this.current) * (this.total - this.current)) : '--:--'}`);
    const line = parts.join(' ');
    const cols = this.options.sink.columns;
    return cols && line.length > cols - 1 ? line.slice(0, cols - 1) : line;
  }
}
