import { describe, expect, it } from 'vitest';
import { extractBlocks } from '../src/index';

const md = [
  '# T',
  '```ts',
  'const a = 1;',
  '```',
  '',
  '<!-- not-runnable: needs a browser -->',
  '',
  '```typescript',
  'window.alert(1);',
  '```',
  '```sh',
  '<!-- not-runnable: inside a shell block, not a marker -->',
  '```',
  '```ts',
  'const b = 2;',
  '```',
  '  ```ts',
  '  const indented = 3;',
  '  ```',
].join('\n');

describe('extractBlocks', () => {
  it('finds ts blocks with their lines, and the not-runnable markers just before them', () => {
    const blocks = extractBlocks(md, 'R.md');
    expect(blocks.map((b) => [b.line, b.code, b.notRunnable])).toEqual([
      [2, 'const a = 1;\n', undefined],
      [8, 'window.alert(1);\n', 'needs a browser'],
      [14, 'const b = 2;\n', undefined],
      [17, 'const indented = 3;\n', undefined],
    ]);
  });

  it('refuses an unclosed block and a marker without a reason', () => {
    expect(() => extractBlocks('```ts\nx', 'A.md')).toThrow(/A\.md:1: the code block is never closed/);
    expect(() => extractBlocks('<!-- not-runnable: -->\n```ts\nx\n```', 'B.md')).toThrow(/B\.md:2: .*needs a reason/);
  });
});
