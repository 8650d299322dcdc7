/**
 * The PyTorch anchor: runs `torch_bench.py` with Debian's `/usr/bin/python3` when it imports
 * torch (same net, same batch, one thread); otherwise says why the column is skipped.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** A smallCnn variant for the PyTorch script (mirrors @bonsai/models' smallCnn options). */
export interface TorchNet {
  name: string;
  widths: readonly number[];
  hidden?: number;
  dropout?: number;
}

/** What to measure in PyTorch. */
export interface TorchSpec {
  nets: TorchNet[];
  train?: { samples: number; batch: number; warmup: number; epochs: number };
  inference?: { batches: number[]; runs: number };
}

/** PyTorch's numbers per net name, or why there are none. */
export type TorchResult =
  | { ok: true; version: string; nets: Record<string, { train?: { samplesPerSec: number; epochMs: number[] }; inferenceMs?: Record<string, number> }> }
  | { ok: false; reason: string };

/** Runs the PyTorch script (sequentially: never concurrently with the JS timings). */
export function runTorch(spec: TorchSpec): TorchResult {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: `\`${PYTHON} -c 'import torch'\` fails here (install Debian's python3-torch for the PyTorch column)` };
  }
  try {
    const out = execFileSync(PYTHON, [SCRIPT, JSON.stringify(spec)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const j = JSON.parse(out.trim().split('\n').pop()!) as { torch: string; nets: Extract<TorchResult, { ok: true }>['nets'] };
    return { ok: true, version: j.torch, nets: j.nets };
  } catch (e) {
    throw new Error(`PyTorch bench script failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
