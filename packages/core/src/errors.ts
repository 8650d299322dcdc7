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

/** Options every Bonsai error takes. */
export interface BonsaiErrorOptions {
  /** The error this one wraps (kept as the standard `cause`). */
  cause?: unknown;
}

/**
 * Base class of every error Bonsai throws on bad input; `code` tells the category and the
 * subclass the kind (ConfigError, ShapeError, SerializationError/FormatError, IoError,
 * BackendError, UnknownOpError). Catch by class: `instanceof` holds for everything a public
 * function throws.
 */
export class BonsaiError extends Error {
  constructor(
    readonly code: BonsaiErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options: BonsaiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BonsaiError';
  }

  /**
   * A copy of this error of the same class whose message starts with `context` and whose
   * details include `details`; the original is its `cause`. Adds context without losing the class.
   */
  withContext(context: string, details: Readonly<Record<string, unknown>> = {}): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    for (const key of Object.keys(this)) Object.defineProperty(copy, key, { value: (this as Record<string, unknown>)[key], enumerable: true, writable: true, configurable: true });
    const define = (key: string, value: unknown): void => {
      Object.defineProperty(copy, key, { value, enumerable: false, writable: true, configurable: true });
    };
    define('message', `${context}: ${this.message}`);
    define('cause', this);
    define('stack', `${this.name}: ${context}: ${this.message}\n${(this.stack ?? '').split('\n').slice(1).join('\n')}`);
    Object.defineProperty(copy, 'details', { value: { ...this.details, ...details }, enumerable: true, writable: true, configurable: true });
    for (const [k, v] of Object.entries(details)) if (k in copy && (copy as Record<string, unknown>)[k] === undefined) define(k, v);
    return copy;
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

/** Options of {@link ConfigError}: a more precise code than CONFIG (UNKNOWN_NODE, PARAM, GRAPH, INPUT, ...). */
export interface ConfigErrorOptions extends BonsaiErrorOptions {
  code?: BonsaiErrorCode;
}

/** An invalid attribute, option, graph or input: something the caller passed that cannot work. */
export class ConfigError extends BonsaiError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}, options: ConfigErrorOptions = {}) {
    super(options.code ?? 'CONFIG', message, details, options);
    this.name = 'ConfigError';
  }
}

/** A model file that cannot be read back: corrupt, truncated, mismatched or escaping its folder. */
export class SerializationError extends BonsaiError {
  constructor(message: string, readonly file?: string, details: Readonly<Record<string, unknown>> = {}, options: BonsaiErrorOptions = {}) {
    super('SERIALIZATION', file ? `${file}: ${message}` : message, { file, ...details }, options);
    this.name = 'SerializationError';
  }
}

/** Where in a foreign model format a {@link FormatError} happened. */
export interface FormatErrorDetails {
  /** The format, e.g. "LayersModel" or "GraphModel". */
  format?: string;
  /** The file, when known. */
  file?: string;
  /** The node or layer name in that format. */
  node?: string;
  /** The op or layer class. */
  op?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A model in a foreign format (tfjs LayersModel, GraphModel, ...) that Bonsai cannot represent
 * or that is malformed; a kind of SerializationError naming format, node and op.
 */
export class FormatError extends SerializationError {
  constructor(message: string, details: FormatErrorDetails = {}) {
    const where = [details.format, details.node && `node "${details.node}"`, details.op && `op "${details.op}"`].filter(Boolean).join(' ');
    const { cause, ...rest } = details;
    super(where ? `${where}: ${message}` : message, details.file, rest, { cause });
    this.name = 'FormatError';
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
