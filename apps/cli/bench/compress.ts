/**
 * @bonsai/cli bench: end-to-end `bonsai compress` of a real 224x224 model (the vendored MediaPipe
 * hand-landmark GraphModel, MobileNetV2-class, 4 heads) on real photos without labels: 200 seeded
 * crops of the 3 photos vendored in @bonsai/datasets (`test/photo-crops.ts`; real photo content,
 * different pixels per file). Broken down into phases from the timestamps of the CLI's own log
 * lines: decode (read + decode + resize the folder), baseline (pseudo-labels, reference outputs,
 * input-model metrics), prune, fine-tune (KD from the input model), calibrate (int8 static),
 * eval (final metrics) and export (writing the model + report). Wall and CPU time per phase.
 * Also: peak RSS of a fresh `bonsai compress` process as the folder grows 10x (every pass streams).
 * Writes bench-results/compress.json. Run: `pnpm bench` in apps/cli (smoke: `--smoke`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReport, num, pick } from '@bonsai/bench-harness';
import { main, type TextSink } from '../src/index';
import { writePhotoCrops } from '../test/photo-crops';

const here = dirname(fileURLToPath(import.meta.url));
const HAND = join(here, '..', '..', '..', 'packages', 'interop', 'test', 'fixtures', 'graph-model', 'handlandmark-lite');
const IMAGES = pick(200, 6);
const RSS_SIZES = pick([200, 2000], [] as number[]);
/** Fine-tuning steps of the RSS runs (batches of ~7 at 224x224). */
const RSS_TRAIN_STEPS = 4;
const ARGS = ['--prune', '0.25', '--fine-tune-epochs', '1', '--quantize', 'int8', '--calibration-samples', String(pick(64, 8)), '--latency-runs', String(pick(10, 1))];

/** A stderr sink that records when each log line arrived (wall ms and process CPU ms). */
class TimedSink implements TextSink {
  readonly isTTY = false;
  readonly columns = 100;
  readonly lines: Array<{ text: string; wall: number; cpu: number }> = [];
  write(text: string): boolean {
    const u = process.cpuUsage();
    for (const line of text.split('\n')) if (line.trim()) this.lines.push({ text: line, wall: performance.now(), cpu: (u.user + u.system) / 1000 });
    return true;
  }
}

const root = mkdtempSync(join(tmpdir(), 'bonsai-cli-bench-'));
const photos = join(root, `photos-${IMAGES}`);
await writePhotoCrops(photos, IMAGES, { size: 256, seed: 1 });
const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average/, 'load average');
const settings = { model: 'handlandmark-lite (GraphModel, 224x224x3)', images: IMAGES, images_source: 'seeded 256x256 crops of the 3 vendored photos of @vladmandic/human', args: ARGS.join(' ') };
const only = process.argv.find((a) => a === '--rss-only' || a === '--phases-only');

// (1) one in-process run, phases from the log timestamps -> bench-results/compress.json
if (only !== '--rss-only') {
const report = createReport({ bench: 'compress', dir: join(here, '..'), settings });
const stderr = new TimedSink();
const stdout = { isTTY: false, columns: 100, write: () => true } satisfies TextSink;
const load0 = uptime();
const u0 = process.cpuUsage();
const t0 = performance.now();
const code = await main(['compress', HAND, '--data', photos, ...ARGS, '--out', join(root, 'out'), '--json'], { stdout, stderr, env: {}, cwd: root });
const wallTotal = performance.now() - t0;
const u1 = process.cpuUsage(u0);
if (code !== 0) throw new Error(`compress failed (${code}):\n${stderr.lines.map((l) => l.text).join('\n')}`);
const at = (re: RegExp, from = 0): { wall: number; cpu: number; index: number } => {
  const index = stderr.lines.findIndex((l, i) => i >= from && re.test(l.text));
  if (index < 0) throw new Error(`no log line matches ${re}`);
  return { ...stderr.lines[index]!, index };
};
const start = { wall: t0, cpu: (u0.user + u0.system) / 1000, index: 0 };
const marks: Array<[string, RegExp]> = [
  ['decode (read, decode, resize to 224x224)', /^data: /],
  ['baseline (reference outputs, input-model metrics)', /^\[1\/\d+\] prune$/],
  ['prune (structured L1, 25%)', /^\[1\/\d+\] structured/],
  ['fine-tune (KD from the input model, 1 epoch)', /^\[\d\/\d+\] fine-tune distilled/],
  ['calibrate + int8 convert', /^\[\d\/\d+\] static quantization/],
  ['eval (final model)', /^\[\d\/\d+\] eval /],
  ['export (write model + report)', /^wrote .*report/],
];
const rows: Array<Array<string | number>> = [];
let prev = start;
for (const [name, re] of marks) {
  const m = at(re, prev.index);
  rows.push([name, num((m.wall - prev.wall) / 1000, 2), num((m.cpu - prev.cpu) / 1000, 2)]);
  prev = m;
}
rows.push(['total', num(wallTotal / 1000, 2), num((u1.user + u1.system) / 1e6, 2)]);
report.table('phases', {
  title: `bonsai compress handlandmark-lite on ${IMAGES} real photo crops, no labels (${ARGS.join(' ')})`,
  columns: ['phase', 'wall s', 'CPU s'],
  rows,
  note: `one run; machine ${load0} at the start, ${uptime()} at the end (2 cores shared with other jobs: wall times are upper bounds, CPU time is this process's user+system)`,
});

report.write();
}

// (2) peak RSS of a fresh process per folder size (the folder holds hard links to the same crops) -> bench-results/compress-rss.json
if (only !== '--phases-only') {
const report = createReport({ bench: 'compress-rss', dir: join(here, '..'), settings });
const bin = join(here, '..', 'dist', 'bin.js');
// The child reports its own peak RSS (getrusage RUSAGE_SELF maxrss, KiB) on stderr as it exits.
const preload = join(root, 'maxrss.cjs');
writeFileSync(preload, "process.on('exit', () => require('node:fs').writeSync(2, '\\nMAXRSS_KIB ' + process.resourceUsage().maxRSS + '\\n'));\n");
const rssRows: Array<Array<string | number>> = [];
const crops = readdirSync(photos).sort();
for (const n of RSS_SIZES) {
  const dir = join(root, `rss-${n}`);
  mkdirSync(dir);
  for (let i = 0; i < n; i++) linkSync(join(photos, crops[i % crops.length]!), join(dir, `${String(i).padStart(5, '0')}.png`));
  const t = performance.now();
  let outcome = 'ok';
  let peak = 0;
  try {
    // Every streamed pass (decode, pseudo-labels, reference outputs, prune, KD fine-tuning with its
    // training heap, calibration, int8 eval), with fine-tuning capped at RSS_TRAIN_STEPS steps so a
    // 10x folder stays affordable on the shared machine (a step's memory does not depend on the folder).
    const recipe = join(root, `rss-${n}.json`);
    writeFileSync(recipe, JSON.stringify({
      model: { load: HAND },
      data: { path: dir },
      steps: [
        { type: 'prune', method: 'structured', importance: 'l1', ratio: 0.25 },
        { type: 'fineTune', epochs: 1, maxSteps: RSS_TRAIN_STEPS },
        { type: 'quantize', method: 'static', calibrationSamples: 64 },
      ],
    }));
    const args = ['-r', preload, bin, 'compress', '--recipe', recipe, '--latency-runs', '1', '--out', join(root, `rss-out-${n}`), '-q'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24 });
    peak = Number(/MAXRSS_KIB (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN) / 1024;
    if (r.status !== 0) outcome = `exit ${r.status}: ${r.stderr.replace(/MAXRSS_KIB \d+/, '').trim().split('\n').at(-1)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rssRows.push([n, num(peak, 0), num((performance.now() - t) / 1000, 1), outcome]);
}
report.table('rss', {
  title: `peak RSS of a fresh \`bonsai compress\` process (prune 25%, ${RSS_TRAIN_STEPS} KD fine-tuning steps, int8 static) vs. folder size`,
  columns: ['images', 'peak RSS MiB', 'wall s', 'outcome'],
  rows: rssRows,
  note: `peak RSS = the child's own getrusage maxrss, printed as it exits; ${uptime()}`,
});
report.write();
}
rmSync(root, { recursive: true, force: true });
