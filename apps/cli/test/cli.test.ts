import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers';

describe('bonsai CLI', () => {
  it('prints usage with --help (exit 0) and without a command (exit 2)', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['demo', 'train', 'prune', 'quantize', 'distill', 'eval', 'compress', 'export']) expect(help.stdout).toMatch(new RegExp(`\\n  ${c} +\\S`));
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: bonsai <command> [options]');
  });

  it('prints each command\'s help', async () => {
    for (const c of ['demo', 'train', 'prune', 'quantize', 'distill', 'eval', 'compress', 'export']) {
      const r = await run([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: bonsai ${c}`);
      expect(r.stdout).toContain('--json');
    }
    expect((await run(['prune', '-h'])).stdout).toContain('--method <structured|unstructured>');
  });

  it('rejects an unknown command with exit code 2 and a suggestion', async () => {
    const r = await run(['comprss']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "comprss" (did you mean "compress"?)');
    const j = await run(['nope', '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, exitCode: 2, error: { name: 'UsageError', code: 'CONFIG' } });
  });

  it('rejects bad options with exit code 2', async () => {
    expect((await run(['train', '--epochs', 'x'])).code).toBe(2);
    expect((await run(['train', '--bogus'])).stderr).toContain('unknown option "--bogus"');
    expect((await run(['eval'])).stderr).toContain('eval needs --model <dir>');
    expect((await run(['compress'])).stderr).toContain('compress needs <model> (or --recipe <file>)');
    expect((await run(['compress', 'a', 'b'])).stderr).toContain('unexpected argument "b" (compress takes one <model>');
    expect((await run(['train', 'stray'])).stderr).toContain('unexpected argument "stray"');
  });

  it('reports recipe errors with the JSON path and exit code 2, also as JSON', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'r.json'), JSON.stringify({ model: { zoo: 'smallCnn' }, steps: [{ type: 'train', epochs: 1 }, { type: 'prune', method: 'sideways', ratio: 0.5 }] }));
    const r = await run(['compress', '--recipe', 'r.json', '--json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('r.json: steps[1].method: ');
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { name: string; path: string } };
    expect(doc).toMatchObject({ ok: false, error: { name: 'RecipeError', path: 'steps[1].method' } });
    const missing = await run(['compress', '-r', 'nope.json'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: cannot read the recipe (ENOENT)');
    writeFileSync(join(cwd, 'bad.json'), '{ "model": ');
    expect((await run(['compress', '-r', 'bad.json'], { cwd })).stderr).toContain('bad.json: invalid JSON');
  });

  it('refuses steps that do not belong to the command', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'r.json'), JSON.stringify({ model: { zoo: 'smallCnn' }, steps: [{ type: 'train', epochs: 1 }, { type: 'quantize', method: 'dynamic' }] }));
    const r = await run(['train', '-r', 'r.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('steps[1].type: step type "quantize" does not belong in `bonsai train`');
  });

  it('builds recipes from flags and applies overrides (--print-recipe)', async () => {
    const r = await run(['prune', '--model', 'out/dense', '--ratio', '0.3', '--kd', '--out', 'out/p', '--train-size', '500', '--print-recipe']);
    expect(r.code).toBe(0);
    const recipe = JSON.parse(r.stdout) as { model: unknown; output: string; data: { trainSize: number }; steps: Array<Record<string, unknown>> };
    expect(recipe.model).toEqual({ load: 'out/dense' });
    expect(recipe.output).toBe('out/p');
    expect(recipe.data.trainSize).toBe(500);
    expect(recipe.steps.map((s) => s.type)).toEqual(['prune', 'fineTune', 'eval']);
    expect(recipe.steps[0]).toMatchObject({ method: 'structured', ratio: 0.3 });
    expect(recipe.steps[1]).toMatchObject({ kd: true, epochs: 1 });
    const cwd = tempDir();
    writeFileSync(join(cwd, 'r.json'), JSON.stringify({ model: { zoo: 'lenet5' }, steps: [{ type: 'train', epochs: 2 }], output: 'a' }));
    const o = JSON.parse((await run(['train', '-r', 'r.json', '--model', 'mlp300100', '-o', 'b', '--print-recipe'], { cwd })).stdout) as { model: unknown; output: string };
    expect(o).toMatchObject({ model: { zoo: 'mlp300100' }, output: 'b' });
    expect((await run(['demo', '--print-recipe', '--fast'])).stdout).toContain('"trainSize": 1000');
    const d = JSON.parse((await run(['distill', '--teacher', 'out/dense', '--print-recipe'])).stdout) as { model: unknown; steps: Array<Record<string, unknown>> };
    expect(d.model).toEqual({ zoo: 'smallCnn', options: { widths: [8, 16], hidden: 64, dropout: 0.1 } });
    expect(d.steps[0]).toMatchObject({ type: 'distill', teacher: { load: 'out/dense' }, epochs: 3, temperature: 4, alpha: 0.7 });
    expect((await run(['distill'])).stderr).toContain('distill needs --teacher <dir>');
  });
});
