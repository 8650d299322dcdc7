/**
 * The PyTorch anchor at 1 and 2 threads: imports core's bench script
 * (`packages/core/bench/torch_bench.py`: same smallCnn, Adam 1e-3, random 28x28 inputs) and calls
 * its `small_cnn` / `train_throughput` after `torch.set_num_threads(t)`. Run with Debian's
 * `/usr/bin/python3` (python3-torch); says why when torch is missing.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const CORE_BENCH = fileURLToPath(new URL('../../core/bench', import.meta.url));

const SCRIPT = `
import json, sys
sys.path.insert(0, sys.argv[1])
import torch, torch_bench
spec = json.loads(sys.argv[2])
out = {"torch": torch.__version__, "nets": {}}
for n in spec["nets"]:
    for t in spec["threads"]:
        torch.set_num_threads(t)
        torch.manual_seed(0)
        net = torch_bench.small_cnn(n["widths"], 128, 0.3)
        out["nets"].setdefault(n["name"], {})[str(t)] = torch_bench.train_throughput(net, spec["train"])
print(json.dumps(out))
`;

/** PyTorch samples/s per net name and thread count, or why there are none. */
export type TorchThreads = { ok: true; version: string; samplesPerSec: Record<string, Record<string, number>> } | { ok: false; reason: string };

/** Trains each net at each thread count (sequentially; never concurrently with the JS timings). */
export function torchThroughput(spec: { nets: Array<{ name: string; widths: number[] }>; threads: number[]; train: { samples: number; batch: number; warmup: number; epochs: number } }): TorchThreads {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: `\`${PYTHON} -c 'import torch'\` fails here (install Debian's python3-torch for the PyTorch column)` };
  }
  const out = execFileSync(PYTHON, ['-c', SCRIPT, CORE_BENCH, JSON.stringify(spec)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const j = JSON.parse(out.trim().split('\n').pop()!) as { torch: string; nets: Record<string, Record<string, { samplesPerSec: number }>> };
  const samplesPerSec = Object.fromEntries(Object.entries(j.nets).map(([name, byT]) => [name, Object.fromEntries(Object.entries(byT).map(([t, r]) => [t, r.samplesPerSec]))]));
  return { ok: true, version: j.torch, samplesPerSec };
}
