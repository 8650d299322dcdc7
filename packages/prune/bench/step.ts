/**
 * Issue 15's prune-step measure: ResNet-50 (224x224x3) 50% structured pruning with `Pruner`
 * (L1 magnitude, local per group, the classifier ignored): dependency-graph build + one step,
 * median over fresh clones, wall and CPU time (`process.cpuUsage`: the machine is shared, so wall
 * time carries other processes' load). A second clone per run splits the step into its phases:
 * `plan()` (score every group, select) and `dg.prune(picks)` (slice every param). One warm-up
 * run first (JIT, heap growth). Writes bench-results/step.json. Smoke mode: ResNet-20, one run.
 */
import { loadavg } from 'node:os';
import type { Model } from '@bonsai/core';
import { modelStats } from '@bonsai/graph';
import { resnet20, resnet50 } from '@bonsai/models';
import { magnitude, Pruner } from '@bonsai/prune';
import { createReport, isSmoke, median, ms, num, pick, ratio } from '@bonsai/bench-harness';

type Phase = 'build' | 'step' | 'plan' | 'slice';

/** Times `new Pruner(...)` (which builds the dependency graph) and `step()` on clones of ResNet-50. */
export async function runStepBench(): Promise<void> {
  const smoke = isSmoke();
  const name = smoke ? 'ResNet-20 (smoke)' : 'ResNet-50 (224x224x3)';
  const base: Model = smoke ? resnet20({ inputShape: [32, 32, 3] }) : resnet50();
  const runs = pick(7, 1);
  const report = createReport({ bench: 'step', settings: { model: name, ratio: 0.5, importance: 'magnitude p=1 (L1), local', ignored: 'graph outputs (classifier)', runs, warmup: smoke ? 0 : 1 } });
  const wall: Record<Phase, number[]> = { build: [], step: [], plan: [], slice: [] };
  const cpu: Record<Phase, number[]> = { build: [], step: [], plan: [], slice: [] };
  const before = modelStats(base);
  let after = before;
  for (let r = smoke ? 0 : -1; r < runs; r++) {
    const record = r >= 0;
    const options = { importance: magnitude({ p: 1 }), ratio: 0.5 };
    const m = base.clone();
    const pruner = timed(record, 'build', () => new Pruner(m, options));
    timed(record, 'step', () => pruner.step());
    after = modelStats(m);
    m.dispose();
    const m2 = base.clone();
    const p2 = new Pruner(m2, options);
    const picks = timed(record, 'plan', () => p2.plan());
    timed(record, 'slice', () => p2.dg.prune(picks));
    m2.dispose();
  }
  base.dispose();
  const total = (xs: Record<Phase, number[]>) => xs.build.map((b, i) => b + xs.step[i]!);
  report.table('step', {
    title: `${name}: 50% structured prune with Pruner (L1, local, classifier ignored), median of ${runs} fresh clones`,
    columns: ['phase', 'median ms', 'median CPU ms'],
    rows: [
      ['new Pruner (dependency graph build)', ms(median(wall.build)), ms(median(cpu.build))],
      ['pruner.step() (score, plan, slice)', ms(median(wall.step)), ms(median(cpu.step))],
      ['build + step', ms(median(total(wall))), ms(median(total(cpu)))],
      ['step, part 1: pruner.plan() (score every group, select)', ms(median(wall.plan)), ms(median(cpu.plan))],
      ['step, part 2: dg.prune(picks) (slice every param)', ms(median(wall.slice)), ms(median(cpu.slice))],
    ],
    note: `load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) at the end. The issue's anchor (its own measurement, Torch-Pruning 1.6.1 is not installable here): Torch-Pruning build 568 ms, step 79 ms.`,
  });

  /** Runs `f`, recording its wall and CPU ms under `phase` when `record`. */
  function timed<T>(record: boolean, phase: Phase, f: () => T): T {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = f();
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (record) {
      wall[phase].push(t);
      cpu[phase].push((c.user + c.system) / 1000);
    }
    return out;
  }
  report.table('step-size', {
    title: `${name} after the step`,
    columns: ['model', 'params', 'MACs'],
    rows: [['dense', num(before.params), num(before.macs)], ['pruned', num(after.params), num(after.macs)], ['ratio', ratio(after.params / before.params, 3), ratio(after.macs / before.macs, 3)]],
  });
  report.write();
}
