import { IoError } from '@bonsai/core';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markdownTable, type Agreement } from '@bonsai/eval';
import type { PipelineResult } from './pipeline';
import type { Row } from './steps/state';

/** The agreement table of unlabeled runs (undefined when no row has agreement numbers). */
export function agreementTable(rows: readonly Row[]): PipelineResult['agreement'] {
  const withA = rows.filter((r): r is Row & { agreement: Agreement } => r.agreement !== undefined);
  if (withA.length === 0) return undefined;
  const k = withA[0]!.agreement.k;
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  const table = markdownTable(
    k === 1 ? ['model', 'top-1 agreement', 'mean KL', 'max |Δ| of outputs'] : ['model', 'top-1 agreement', `top-${k} agreement`, 'mean KL', 'max |Δ| of outputs'],
    withA.map((r) => [r.name, pct(r.agreement.top1), ...(k === 1 ? [] : [pct(r.agreement.top5)]), r.agreement.meanKl.toExponential(2), r.agreement.maxAbsDiff.toExponential(2)]),
  );
  const how = withA[0]!.agreement.binary
    ? "the model's first output is one score per sample: top-1 = the same decision (threshold 0.5 for scores in [0, 1], else 0); KL of the Bernoulli distributions"
    : `top-1: same class; top-${k}: the class is in the input model's top ${k}; KL(input ‖ row) of the softmax outputs`;
  const markdown = `${table}\n\nNo labels: these are agreement numbers with the input model on ${withA[0]!.agreement.samples} held-out samples (${how}; all on the model's first output), not accuracy.`;
  return { markdown, rows: withA.map((r) => ({ name: r.name, ...r.agreement })) };
}

/** Markdown of a run's report: source, data, steps, comparison (and agreement), output. */
export function reportMarkdown(r: PipelineResult): string {
  const lines = [
    `# bonsai report${r.name ? `: ${r.name}` : ''}`,
    '',
    `- model: \`${r.source.model}\` (${r.source.format})`,
    `- data: ${r.data.dataset}, ${r.data.train} train / ${r.data.test} held-out samples, ${r.data.labeled ? 'labeled: quality is accuracy' : 'no labels: quality is agreement with the input model, not accuracy'}`,
    `- backend: ${r.backend.name} (simd: ${r.backend.simd ? 'yes' : 'no'}, threads: ${r.backend.threads ? 'yes' : 'no'}); latency is measured on this machine, batch 1`,
    r.output ? `- output: \`${r.output.dir}\`, ${r.output.format}, ${r.output.bytes} bytes${r.output.note ? `; ${r.output.note}` : ''}` : '- output: none',
    '',
    '## Steps',
    '',
    ...r.steps.map((s) => `${s.index + 1}. ${s.summary} (${s.seconds.toFixed(1)} s)`),
    '',
    '## Comparison',
    '',
    r.comparison.markdown,
  ];
  if (r.agreement) lines.push('', '## Agreement with the input model', '', r.agreement.markdown);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `report.md` and `report.json` into the (existing) model folder `dir`, each file through a
 * temporary and a rename so a reader never sees half a report; returns their paths.
 * @throws IoError naming the file on a file-system failure.
 */
export async function writeReport(dir: string, r: PipelineResult): Promise<string[]> {
  const { report: _ignored, ...json } = r;
  const files: Array<[string, string]> = [
    ['report.md', reportMarkdown(r)],
    ['report.json', `${JSON.stringify(json, null, 2)}\n`],
  ];
  const paths: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, text);
      await rename(tmp, path);
    } catch (e) {
      throw new IoError('cannot write the report', { path, reason: (e as NodeJS.ErrnoException).code, cause: e });
    }
    paths.push(path);
  }
  return paths;
}
