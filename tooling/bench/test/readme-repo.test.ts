import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkReadme, markedReadmes } from '../src/readme';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe("this repository's README bench tables", () => {
  it('every marked table matches the latest results files it names', () => {
    const readmes = markedReadmes(repo);
    expect(readmes).toContain('README.md');
    expect(readmes.flatMap((r) => checkReadme(repo, r))).toEqual([]);
  });
});
