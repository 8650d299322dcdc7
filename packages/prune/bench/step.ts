/**
 * Issue 15's prune-step measure: ResNet-50 (224x224x3) 50% structured pruning with `Pruner`
 * (L1 magnitude, local per group, the classifier ignored): dependency-graph build + one step,
 * median over fresh clones, wall and CPU time (`process.cpuUsage`: the machine is shared, so wall
 * time carries other processes' load). Writes bench-results/step.json. Smoke mode: ResNet-20, one run.
 */
import { loadavg } from 'node:os';
import type { Model } from '@bonsai/core';
import { modelStats } from '@bonsai/graph';
import { resnet20, resnet50 } from '@bonsai/models';
import { magnitude, Pruner } from '@bonsai/prune';
import { createReport, isSmoke, median, ms, num, pick, ratio, timeMs } from '@bonsai/bench-harness';

/** Times `new Pruner(...)` (which builds the dependency graph) and `step()` on clones of ResNet-50. */
export async function runStepBench(): Promise<void> {
  const smoke = isSmoke();
  const name = smoke ? 'ResNet-20 (smoke)' : 'ResNet-50 (224x224x3)';
  const base: Model = smoke ? resnet20({ inputShape: [32, 32, 3] }) : resnet50();
  const runs = pick(5, 1);
  const report = createReport({ bench: 'step', settings: { model: name, ratio: 0.5, importance: 'magnitude p=1 (L1), local', ignored: 'graph outputs (classifier)', runs } });
  const build: number[] = [];
  const step: number[] = [];
  const cpuBuild: number[] = [];
  const cpuStep: number[] = [];
  const cpu = (f: () => void): number => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  const before = modelStats(base);
  let after = before;
  for (let r = 0; r < runs; r++) {
    const m = base.clone();
    let pruner: Pruner | undefined;
    cpuBuild.push(cpu(() => build.push(timeMs(() => (pruner = new Pruner(m, { importance: magnitude({ p: 1 }), ratio: 0.5 }))))));
    cpuStep.push(cpu(() => step.push(timeMs(() => pruner!.step()))));
    after = modelStats(m);
    m.dispose();
  }
  base.dispose();
  report.table('step', {
    title: `${name}: 50% structured prune with Pruner (L1, local, classifier ignored), median of ${runs} fresh clones`,
    columns: ['phase', 'median ms', 'median CPU ms'],
    rows: [
      ['new Pruner (dependency graph build)', ms(median(build)), ms(median(cpuBuild))],
      ['pruner.step() (score, plan, slice)', ms(median(step)), ms(median(cpuStep))],
      ['build + step', ms(median(build.map((b, i) => b + step[i]!))), ms(median(cpuBuild.map((b, i) => b + cpuStep[i]!)))],
    ],
    note: `load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) at the end`,
  });
  report.table('step-size', {
    title: `${name} after the step`,
    columns: ['model', 'params', 'MACs'],
    rows: [['dense', num(before.params), num(before.macs)], ['pruned', num(after.params), num(after.macs)], ['ratio', ratio(after.params / before.params, 3), ratio(after.macs / before.macs, 3)]],
  });
  report.write();
}
