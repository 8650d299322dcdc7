/** One fenced ```ts block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file (as given). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Why the block must not run (from a `<!-- not-runnable: reason -->` line just before it), or undefined. */
  notRunnable?: string;
}

const MARKER = /^<!--\s*not-runnable:\s*(.*?)\s*-->$/;

/**
 * The ```ts / ```typescript blocks of `markdown`. A block is marked not runnable when the last
 * non-blank line before its fence is `<!-- not-runnable: reason -->` (the reason must not be empty).
 */
export function extractBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let lastText = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== '') lastText = lines[i]!.trim();
      if (/^\s*(`{3,}|~{3,})/.test(lines[i]!)) {
        // Skip any other fenced block whole, so its content is never taken for a marker or a fence.
        const fence = /^\s*(`{3,}|~{3,})/.exec(lines[i]!)![1]!;
        while (++i < lines.length && !lines[i]!.trim().startsWith(fence));
        lastText = fence;
      }
      continue;
    }
    const fence = open[2]!;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !lines[i]!.trim().startsWith(fence)) body.push(lines[i]!.slice(open[1]!.length));
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: the code block is never closed`);
    const marker = MARKER.exec(lastText);
    if (marker && marker[1] === '') throw new Error(`${file}:${start + 1}: <!-- not-runnable: --> needs a reason`);
    blocks.push({ file, line: start + 1, code: `${body.join('\n')}\n`, ...(marker ? { notRunnable: marker[1] } : {}) });
    lastText = fence;
  }
  return blocks;
}
