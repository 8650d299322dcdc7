// Worker entry used when @bonsai/budget runs from its TypeScript sources (tests, benches under
// tsx): registers tsx in this worker thread (Node 20 does not pass --import hooks to workers),
// then loads worker.ts. The built package uses dist/worker.js directly.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
const run = typeof mod.default === 'function' ? mod.default : mod.default.default;
export default run;
