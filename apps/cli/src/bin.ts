import { errorLine } from './errors';
import { main } from './main';

const verbose = process.argv.includes('--verbose');

/**
 * Errors that escape main (a stray rejection, an error thrown from a callback) print one line and
 * exit 1. Installed first, and re-installed after main, because the wasm runtime adds its own
 * handlers when the backend loads (they would rethrow and make Node exit with code 7).
 */
function installHandlers(): void {
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.removeAllListeners(event);
    process.on(event, (e: unknown) => {
      process.stderr.write(`${errorLine(e, { verbose })}\n`);
      process.exit(1);
    });
  }
}

installHandlers();
main(process.argv.slice(2)).then(
  (code) => {
    installHandlers();
    process.exitCode = code;
  },
  (e: unknown) => {
    installHandlers();
    process.stderr.write(`${errorLine(e, { verbose })}\n`);
    process.exitCode = 1;
  },
);
