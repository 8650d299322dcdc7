import { errorLine } from './errors';
import { main } from './main';
import { installProcessHandlers } from './process-handlers';

const verbose = process.argv.includes('--verbose');

installProcessHandlers({ verbose });
main(process.argv.slice(2)).then(
  (code) => {
    installProcessHandlers({ verbose });
    process.exitCode = code;
  },
  (e: unknown) => {
    installProcessHandlers({ verbose });
    process.stderr.write(`${errorLine(e, { verbose })}\n`);
    process.exitCode = 1;
  },
);
