import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandHelp, commands, readmeOptionTables, renderReadme } from '../src/index';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README option tables', () => {
  it('are exactly what the option definitions generate (run `pnpm -F @bonsai/cli docs` after changing an option)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('has a section for every table the definitions produce, and every section is filled', () => {
    for (const name of readmeOptionTables().keys()) expect(readme, name).toContain(`<!-- options:${name} -->\n| option |`);
  });

  it('shows the same defaults as --help, both taken from the definitions (demo --epochs is 6)', () => {
    const help = commandHelp('demo');
    expect(help).toMatch(/--epochs <n> +dense training epochs \(default 6 \(1 with --fast\)\)/);
    expect(readme).toContain('| `--epochs` | `<n>` | 6 (1 with --fast) | dense training epochs |');
    for (const c of commands()) {
      for (const [name, spec] of Object.entries(c.flags)) {
        if (spec.default === undefined || spec.defaultText !== undefined) continue;
        const shown = typeof spec.default === 'boolean' ? (spec.default ? 'on' : 'off') : String(spec.default);
        expect(commandHelp(c.name), `${c.name} --${name}`).toContain(`(default ${shown})`);
      }
    }
  });

  it('renderReadme rewrites a stale table and leaves unknown sections alone', () => {
    const stale = '<!-- options:eval -->\n| old |\n<!-- /options -->\n<!-- options:nope -->\nx\n<!-- /options -->';
    const fresh = renderReadme(stale);
    expect(fresh).toContain(readmeOptionTables().get('eval'));
    expect(fresh).not.toContain('| old |');
    expect(fresh).toContain('<!-- options:nope -->\nx\n<!-- /options -->');
  });
});
