import { fileURLToPath } from 'node:url';
import { bonsaiVitestConfig } from '@bonsai/vitest-config';

export default bonsaiVitestConfig(fileURLToPath(new URL('.', import.meta.url)));
