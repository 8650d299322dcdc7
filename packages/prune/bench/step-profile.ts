/**
 * Profiling driver for the prune step (not part of `pnpm bench`): builds ResNet-50 once, then runs
 * `new Pruner` + `step()` on STEP_PROFILE_RUNS (default 20) fresh clones, so `node --cpu-prof` or
 * callgrind see the step's hot code. Prints the per-phase CPU ms medians.
 * Run: `npx tsx bench/step-profile.ts` (add `--cpu-prof` through NODE_OPTIONS to profile).
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '@bonsai/core';
import { resnet50 } from '@bonsai/models';
import { magnitude, Pruner } from '@bonsai/prune';
import { median } from '@bonsai/bench-harness';

await initBackend('wasm');
const runs = Number(process.env.STEP_PROFILE_RUNS ?? 20);
const base = resnet50();
const phases: Record<string, number[]> = { build: [], plan: [], slice: [], total: [] };
const walls: Record<string, number[]> = { build: [], plan: [], slice: [], total: [] };
const thread: Record<string, number[]> = { build: [], plan: [], slice: [], total: [] };
/** Main-thread on-CPU ns (Linux schedstat): robust to other processes' load, unlike wall time. */
const threadMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
for (let r = -1; r < runs; r++) {
  const m = base.clone();
  const t0 = performance.now();
  const s0 = threadMs();
  const c0 = process.cpuUsage();
  const p = new Pruner(m, { importance: magnitude({ p: 1 }), ratio: 0.5 });
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  const s1 = threadMs();
  const picks = p.plan();
  const c2 = process.cpuUsage();
  const t2 = performance.now();
  const s2 = threadMs();
  p.dg.prune(picks);
  const t3 = performance.now();
  const s3 = threadMs();
  if (r >= 0) {
    walls.build!.push(t1 - t0);
    walls.plan!.push(t2 - t1);
    walls.slice!.push(t3 - t2);
    walls.total!.push(t3 - t0);
    thread.build!.push(s1 - s0);
    thread.plan!.push(s2 - s1);
    thread.slice!.push(s3 - s2);
    thread.total!.push(s3 - s0);
  }
  if (r >= 0) {
    phases.build!.push(cpuMs(c0) - cpuMs(c1));
    phases.plan!.push(cpuMs(c1) - cpuMs(c2));
    phases.slice!.push(cpuMs(c2));
    phases.total!.push(cpuMs(c0));
  }
  m.dispose();
}
base.dispose();
console.log(Object.entries(thread).map(([k, v]) => `${k} ${median(v).toFixed(1)} ms main thread`).join(', '));
console.log(Object.entries(walls).map(([k, v]) => `${k} ${median(v).toFixed(1)} ms wall`).join(', '));
console.log(Object.entries(phases).map(([k, v]) => `${k} ${median(v).toFixed(1)} ms CPU`).join(', '));
