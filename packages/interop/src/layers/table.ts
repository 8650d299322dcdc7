import { LAYER_ENTRIES, LAYER_UNEXPORTABLE } from './index';

const code = (s: string): string => `\`${s}\``;

/**
 * The supported-layers table of the README, generated from the converter tables so it cannot
 * drift: Keras class (aliases) -> core ops on import, core ops written back as that class, notes;
 * then the core ops that have no LayersModel form, with the reason.
 */
export function layersTableMarkdown(): string {
  const rows = LAYER_ENTRIES.map((e) => {
    const names = [e.className, ...(e.aliases ?? [])].join(', ');
    const exported = Object.keys(e.export ?? {}).map(code).join(', ') || '—';
    return `| ${names} | ${e.ops.map(code).join(', ')} | ${exported} | ${e.note ?? ''} |`;
  });
  const refused = Object.entries(LAYER_UNEXPORTABLE).map(([op, why]) => `| ${code(op)} | ${why} |`);
  return [
    '| Keras layer (import) | Bonsai ops it becomes | Bonsai ops exported as this layer | notes |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| Bonsai op without a LayersModel form | why |',
    '|---|---|',
    ...refused,
  ].join('\n');
}
