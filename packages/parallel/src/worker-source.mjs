// Worker entry used when @bonsai/parallel runs from its TypeScript sources (tests, benches under
// tsx): registers tsx in this worker thread (Node 20 does not pass --import hooks to workers),
// then loads worker.ts. The built package uses dist/worker.js directly.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default typeof mod.default === 'function' ? mod.default : mod.default.default;
