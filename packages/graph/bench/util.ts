/** Milliseconds taken by `fn`. */
export function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** Prints a Markdown table. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): void {
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v);
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.map(cell).join(' | ')} |`);
  console.log('');
}
