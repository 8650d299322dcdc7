import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extractBlocks, runBlock, type CodeBlock } from '../src/index';

// Every ```ts block of every README runs as pasted (against package sources) and leaves no
// tensor alive. A block that cannot run here says why in a `<!-- not-runnable: reason -->` line.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
// Each block runs in a throwaway folder inside its README's package (the repository root's README
// in this package), so its third-party imports resolve from that package's dependencies.
const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function workDirFor(block: CodeBlock): string {
  const owner = path.dirname(block.file) === '.' ? path.join(here, '..') : path.join(root, path.dirname(block.file));
  const runs = path.join(owner, '.readme-runs');
  if (!made.includes(runs)) {
    fs.rmSync(runs, { recursive: true, force: true });
    made.push(runs);
  }
  fs.mkdirSync(runs, { recursive: true });
  return fs.mkdtempSync(path.join(runs, `${block.line}-`));
}

function readmes(): string[] {
  const out = ['README.md'];
  for (const group of ['packages', 'apps', 'tooling']) {
    for (const name of fs.readdirSync(path.join(root, group)).sort()) {
      const f = path.join(group, name, 'README.md');
      if (fs.existsSync(path.join(root, f))) out.push(f);
    }
  }
  return out.filter((f) => fs.existsSync(path.join(root, f)));
}

const only = process.env.BONSAI_README_ONLY; // e.g. "packages/core" to run one README's blocks
const blocks: CodeBlock[] = readmes()
  .filter((f) => !only || f.startsWith(only))
  .flatMap((f) => extractBlocks(fs.readFileSync(path.join(root, f), 'utf8'), f));

describe('README examples', () => {
  it('every README block is either runnable or says why not', () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks.filter((x) => x.notRunnable !== undefined)) expect(b.notRunnable!.length, `${b.file}:${b.line}`).toBeGreaterThan(3);
  });

  // Two blocks at a time (each is its own process).
  for (const block of blocks.filter((b) => b.notRunnable === undefined)) {
    it.concurrent(`${block.file}:${block.line} runs as pasted and disposes what it creates`, async () => {
      const r = await runBlock(block, { root, workDir: workDirFor(block), timeoutMs: 180_000 });
      const where = `${block.file}:${block.line} (${r.ms} ms)\n--- stderr\n${r.stderr.slice(-3000)}\n--- stdout\n${r.stdout.slice(-1500)}`;
      expect(r.status, where).toBe(0);
      expect(r.tensors, `${where}\nthe block ended with live tensors: dispose models, optimizers and tensors it creates`).toBe(0);
    }, 200_000);
  }
});
