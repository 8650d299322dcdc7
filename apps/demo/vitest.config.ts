import { fileURLToPath } from 'node:url';
import { bonsaiVitestConfig } from '@bonsai/vitest-config';

/** The e2e test builds the app itself (vite build in beforeAll) and drives headless Chromium. */
export default bonsaiVitestConfig(fileURLToPath(new URL('.', import.meta.url)), { include: ['test/**/*.test.ts'] });
