/** Machine-readable category of a {@link BonsaiError}. */
export type BonsaiErrorCode =
  | 'BACKEND'
  | 'UNKNOWN_OP'
  | 'UNKNOWN_NODE'
  | 'SHAPE'
  | 'ATTR'
  | 'PARAM'
  | 'GRAPH'
  | 'INPUT'
  | 'SERIALIZATION'
  | 'CONFIG'
  | 'DATA'
  | 'PRUNE'
  | 'QUANTIZE'
  | 'INTEROP'
  | 'IO';

/** Base class of every error Bonsai throws on bad input; `code` tells the category. */
export class BonsaiError extends Error {
  constructor(
    readonly code: BonsaiErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'BonsaiError';
  }
}

/** An op name that is not in the registry. */
export class UnknownOpError extends BonsaiError {
  constructor(readonly op: string, readonly nodeId?: string) {
    super('UNKNOWN_OP', `Unknown op "${op}"${nodeId ? ` at node "${nodeId}"` : ''}`, { op, nodeId });
    this.name = 'UnknownOpError';
  }
}

/** Shapes that do not fit together at a node (or a tensor whose shape differs from what is expected). */
export class ShapeError extends BonsaiError {
  constructor(message: string, readonly nodeId?: string) {
    super('SHAPE', nodeId ? `Node "${nodeId}": ${message}` : message, { nodeId });
    this.name = 'ShapeError';
  }
}

/** An invalid attribute or option value. */
export class ConfigError extends BonsaiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFIG', message, details);
    this.name = 'ConfigError';
  }
}

/** A model file that cannot be read back: corrupt, truncated, mismatched or escaping its folder. */
export class SerializationError extends BonsaiError {
  constructor(message: string, readonly file?: string) {
    super('SERIALIZATION', file ? `${file}: ${message}` : message, { file });
    this.name = 'SerializationError';
  }
}

/** Options of {@link IoError}. */
export interface IoErrorOptions {
  /** The file or folder the operation was on. */
  path: string;
  /** The system error code (EACCES, ENOSPC, EEXIST, ENOTDIR, EISDIR, ...) or a Bonsai reason such as "TOO_LARGE". */
  reason?: string;
  /** The underlying error, when there is one. */
  cause?: unknown;
}

/** A file-system failure (permission, full disk, wrong file kind, too large, ...) naming the path and its cause. */
export class IoError extends BonsaiError {
  readonly path: string;
  readonly reason: string | undefined;
  constructor(message: string, options: IoErrorOptions) {
    super('IO', `${options.path}: ${message}${options.reason ? ` (${options.reason})` : ''}`, { path: options.path, reason: options.reason });
    this.name = 'IoError';
    this.path = options.path;
    this.reason = options.reason;
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: true, configurable: true });
  }
}

/** A backend that cannot be loaded or initialized; the message says what to install or call. */
export class BackendError extends BonsaiError {
  constructor(message: string, readonly backend?: string) {
    super('BACKEND', message, { backend });
    this.name = 'BackendError';
  }
}
