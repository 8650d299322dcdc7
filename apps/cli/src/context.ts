import type { CliIo } from './io';
import { ProgressBar } from './progress';

/** Options shared by every command. */
export interface RunOptions {
  /** Machine-readable result on stdout; human text goes to stderr. */
  json: boolean;
  /** No progress bars or log lines. */
  quiet: boolean;
}

/** What the pipeline needs from the CLI: logging, progress, the clock. */
export class RunContext {
  readonly progress: ProgressBar;

  constructor(readonly io: CliIo, readonly options: RunOptions) {
    this.progress = new ProgressBar({ sink: io.stderr, quiet: options.quiet });
  }

  /** A human-readable line on stderr (suppressed by `--quiet`). */
  log(line: string): void {
    if (!this.options.quiet) this.io.stderr.write(`${line}\n`);
  }

  /**
   * Human-readable report text: on stdout normally, on stderr with `--json` (stdout then carries
   * only the JSON document).
   */
  report(text: string): void {
    if (this.options.json) {
      if (!this.options.quiet) this.io.stderr.write(`${text}\n`);
    } else this.io.stdout.write(`${text}\n`);
  }
}
