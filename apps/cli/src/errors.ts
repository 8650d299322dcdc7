import { BonsaiError } from '@bonsai/core';

/** Exit codes of the `bonsai` CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A bad command line: unknown command or flag, missing or malformed value. Exit code 2. */
export class UsageError extends BonsaiError {
  constructor(message: string, readonly command?: string) {
    super('CONFIG', message, { command });
    this.name = 'UsageError';
  }
}

/** A recipe that does not validate; `path` is the JSON path of the bad field (e.g. `steps[2].ratio`). Exit code 2. */
export class RecipeError extends BonsaiError {
  constructor(message: string, readonly path: string, readonly file?: string) {
    super('CONFIG', `${file ? `${file}: ` : ''}${path ? `${path}: ` : ''}${message}`, { path, file });
    this.name = 'RecipeError';
  }
}

/** A recipe step whose implementing package does not provide the needed API yet. Exit code 1. */
export class StepUnavailableError extends BonsaiError {
  constructor(readonly step: string, readonly missing: string) {
    super('CONFIG', `step "${step}" is not available yet: ${missing}`, { step, missing });
    this.name = 'StepUnavailableError';
  }
}

/**
 * A model that cannot be written as a tfjs LayersModel: an int8 (per-channel) Bonsai model has
 * no tfjs equivalent. Exit code 1.
 */
export class ExportUnsupportedError extends BonsaiError {
  constructor(message: string, readonly model?: string) {
    super('INTEROP', message, { model });
    this.name = 'ExportUnsupportedError';
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError || e instanceof RecipeError ? EXIT.usage : EXIT.failure;
}
