/** A text sink: process.stdout / process.stderr, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
  /** True when the sink is an interactive terminal (enables the redrawn progress bar). */
  isTTY?: boolean;
  /** Terminal width in columns, when known. */
  columns?: number;
}

/** What a command may touch: output streams, environment, working directory. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The real process streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** An in-memory sink that records everything written (for tests and `--json` capture). */
export class BufferSink implements TextSink {
  private readonly parts: string[] = [];
  constructor(readonly isTTY = false, readonly columns = 100) {}
  write(text: string): boolean {
    this.parts.push(text);
    return true;
  }
  /** Everything written so far. */
  text(): string {
    return this.parts.join('');
  }
}
