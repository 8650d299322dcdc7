import { markdownFlags } from './args';
import { COMMON_FLAGS, RECIPE_FLAGS } from './commands/flags';
import { commands } from './commands/registry';

/**
 * The README's option tables: `common` (every command), `recipe` (every recipe command) and each
 * command's own options, keyed by section name.
 */
export function readmeOptionTables(): Map<string, string> {
  const tables = new Map<string, string>([
    ['common', markdownFlags(COMMON_FLAGS)],
    ['recipe', markdownFlags(RECIPE_FLAGS)],
  ]);
  for (const c of commands()) if (Object.keys(c.flags).length) tables.set(c.name, markdownFlags(c.flags));
  return tables;
}

const SECTION = /(<!-- options:([a-z-]+) -->)[\s\S]*?(<!-- \/options -->)/g;

/**
 * `readme` with every `<!-- options:<command> -->` ... `<!-- /options -->` section replaced by
 * that command's generated table (the README tables are generated, never edited by hand).
 */
export function renderReadme(readme: string): string {
  const tables = readmeOptionTables();
  return readme.replace(SECTION, (whole, open: string, name: string, close: string) => {
    const t = tables.get(name);
    return t === undefined ? whole : `${open}\n${t}\n${close}`;
  });
}
