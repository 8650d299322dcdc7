/**
 * Torch-Pruning's `num_heads` question on Bonsai's ViT (issue 14). Torch-Pruning itself is not
 * installable here (not on npm or Debian), so the bench builds the same ViT in PyTorch
 * (bench/vit-torch.py, Debian's /usr/bin/python3 + torch 1.13), loads Bonsai's weights into it,
 * removes by hand the heads Bonsai's Pruner chose (q/k/v rows, proj columns, `num_heads` set), and
 * compares logits on real MNIST test digits: dense torch vs dense Bonsai, pruned torch vs the
 * Bonsai model pruned by `Pruner` with no hand patching (`numHeads` read from its graph), and a
 * torch model whose `num_heads` was left unpatched (what TP users hit) for contrast.
 * Every param (biases, norms, embeddings too) is drawn at random first so that no zero hides a
 * slicing mistake. Exported for the prune bench index (full runs only: smoke mode skips it, since
 * starting torch costs more than the ViT smoke run); `tsx bench/vit-torch.ts` runs it alone.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, initBackend, IoError, type Model } from '@bonsai/core';
import { encodeNpy, loadMnist, toTensors } from '@bonsai/datasets';
import { vit } from '@bonsai/models';
import { HeadSelection, magnitude, Pruner } from '@bonsai/prune';
import { createReport, isSmoke } from '@bonsai/bench-harness';

const PYTHON = '/usr/bin/python3';
const MODEL = { patch: 7, dim: 48, depth: 2, heads: 4, mlpRatio: 2, classes: 10, seed: 3 };
const TOLERANCE = 1e-4;

interface TorchResult {
  torch: string;
  denseMaxDiff: number;
  prunedMaxDiff: number;
  unpatchedMaxDiff: number;
  numHeads: Record<string, number>;
  params: { dense: number; pruned: number };
  argmaxAgree: number;
}

/** Overwrites every param with N(0, 0.5^2) draws (seeded): biases, norms, embeddings included. */
function randomizeParams(m: Model, seed: number): void {
  const rng = createRng(seed);
  for (const p of m.params.values()) {
    const n = p.value.size;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - rng()));
      const a = 2 * Math.PI * rng();
      v[i] = 0.5 * r * Math.cos(a);
      if (i + 1 < n) v[i + 1] = 0.5 * r * Math.sin(a);
    }
    const t = tf.tensor(v, p.shape);
    p.value.assign(t);
    t.dispose();
  }
}

function logits(m: Model, x: tf.Tensor): number[][] {
  const y = m.forward(x);
  const out = y.arraySync() as number[][];
  y.dispose();
  return out;
}

/** Builds, prunes and exports on the Bonsai side, runs the torch side, and reports. */
export async function runVitTorchBench(): Promise<void> {
  if (isSmoke()) {
    // Starting Python + torch costs more than the whole ViT smoke run: full bench only.
    console.log('vit-torch: skipped in smoke mode (run `tsx bench/vit-torch.ts`)');
    return;
  }
  await initBackend('wasm');
  const data = loadMnist({ trainSize: 1, testSize: 256 });
  const test = toTensors(data.test);
  const dense = vit(MODEL);
  randomizeParams(dense, 7);
  const pruned = dense.clone();
  // Torch-Pruning's interactive loop: 50% of all heads by L1 head magnitude, ranked globally.
  const removed: Record<string, number[]> = {};
  const pruner = new Pruner(pruned, { importance: magnitude(), ratio: 0, pruneHeads: true, headRatio: 0.5 });
  for (const g of pruner.stepInteractive()) {
    if (!(g instanceof HeadSelection)) continue;
    removed[g.root] = [...g.units];
    g.prune();
  }
  const bonsaiHeads = Object.fromEntries(pruned.graph.nodes.filter((n) => n.attrs.numHeads !== undefined).map((n) => [n.id, n.attrs.numHeads as number]));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bonsai-vit-torch-'));
  const report = createReport({ bench: 'vit-torch', settings: { model: MODEL, test: data.test.count, headRatio: 0.5, importance: 'L1 head magnitude, global', tolerance: TOLERANCE, python: PYTHON } });
  try {
    fs.writeFileSync(path.join(dir, 'input.npy'), encodeNpy(test.x.dataSync() as Float32Array, test.x.shape));
    const weights = Object.fromEntries([...dense.params].map(([k, p]) => [k, { shape: p.shape, values: Array.from(p.value.dataSync()) }]));
    fs.writeFileSync(path.join(dir, 'vit.json'), JSON.stringify({ model: MODEL, weights, removed, bonsaiDense: logits(dense, test.x), bonsaiPruned: logits(pruned, test.x) }));
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'vit-torch.py');
    let stdout: string;
    try {
      stdout = execFileSync(PYTHON, [script, dir], { encoding: 'utf8' });
    } catch (cause) {
      throw new IoError(`vit-torch: the torch side failed (Debian's python3-torch is needed)`, { path: script, reason: (cause as Error).message, cause });
    }
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as TorchResult;
    const ok = (d: number): string => (d <= TOLERANCE ? 'yes' : 'NO');
    const fmt = (d: number): string => d.toExponential(2);
    const heads = (h: Record<string, number>): string => Object.entries(h).map(([k, v]) => `${k}: ${v}`).join(', ');
    report.table('vit-torch', {
      title: `Bonsai vs PyTorch ${r.torch} ViT (patch ${MODEL.patch}, dim ${MODEL.dim}, depth ${MODEL.depth}, heads ${MODEL.heads}; random weights), logits on ${data.test.count} MNIST test digits`,
      columns: ['model', 'heads per block', 'params', 'max |Bonsai - torch|', `within ${TOLERANCE}`],
      rows: [
        ['dense', heads(Object.fromEntries(Object.keys(bonsaiHeads).map((k) => [k, MODEL.heads]))), String(r.params.dense), fmt(r.denseMaxDiff), ok(r.denseMaxDiff)],
        ['50% heads: Bonsai Pruner (no patching) vs torch, heads removed by hand + num_heads set', `Bonsai ${heads(bonsaiHeads)}; torch ${heads(r.numHeads)}`, String(r.params.pruned), fmt(r.prunedMaxDiff), ok(r.prunedMaxDiff)],
        ['same, torch num_heads left at 4 (unpatched)', heads(Object.fromEntries(Object.keys(bonsaiHeads).map((k) => [k, MODEL.heads]))), String(r.params.pruned), fmt(r.unpatchedMaxDiff), ok(r.unpatchedMaxDiff)],
      ],
      note: `Removed heads (chosen by Bonsai, removed by hand in torch): ${Object.entries(removed).map(([k, v]) => `${k} [${v.join(', ')}]`).join('; ')}. Pruned argmax agreement ${(r.argmaxAgree * 100).toFixed(1)}%.`,
    });
    const bad = r.denseMaxDiff > TOLERANCE || r.prunedMaxDiff > TOLERANCE || JSON.stringify(r.numHeads) !== JSON.stringify(bonsaiHeads) || r.unpatchedMaxDiff <= TOLERANCE;
    report.write();
    if (bad) throw new Error(`vit-torch: Bonsai and torch disagree (dense ${r.denseMaxDiff}, pruned ${r.prunedMaxDiff}, unpatched ${r.unpatchedMaxDiff}; heads ${JSON.stringify(bonsaiHeads)} vs ${JSON.stringify(r.numHeads)})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    test.x.dispose();
    test.y.dispose();
    dense.dispose();
    pruned.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runVitTorchBench();
