import { errorLine } from './errors';

/**
 * Makes errors that escape `main` (a stray rejection, an error thrown from a timer or callback)
 * print one line (`bonsai: ...`, the stack with `verbose`) and exit 1. Removes every other
 * `uncaughtException` / `unhandledRejection` listener first: the wasm runtime adds its own when
 * the backend loads, which rethrows and makes Node exit with code 7. Call it before and after
 * `main` (the backend may load in between).
 */
export function installProcessHandlers(o: { verbose?: boolean } = {}): void {
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.removeAllListeners(event);
    process.on(event, (e: unknown) => {
      process.stderr.write(`${errorLine(e, o)}\n`);
      process.exit(1);
    });
  }
}
