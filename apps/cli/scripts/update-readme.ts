// Regenerates the option tables in README.md from the option definitions (pnpm -F @bonsai/cli docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReadme } from '../src/option-docs';

const file = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(file, 'utf8');
const after = renderReadme(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(after !== before ? 'README.md option tables updated\n' : 'README.md option tables up to date\n');
