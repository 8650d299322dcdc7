// prepack step of every published package: copies the repository's LICENSE (Apache-2.0) into the
// package folder so that it is in the tarball (the copies are git-ignored).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
fs.copyFileSync(path.join(root, 'LICENSE'), path.join(process.cwd(), 'LICENSE'));
