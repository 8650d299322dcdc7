import { fileURLToPath } from 'node:url';
import { bonsaiVitestConfig } from '@bonsai/vitest-config';

// test/setup.ts loads tfjs-core's main entry before any @bonsai/* source (see the comment there).
export default bonsaiVitestConfig(fileURLToPath(new URL('.', import.meta.url)), { setupFiles: ['./test/setup.ts'] });
