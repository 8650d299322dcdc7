/** The run history: a table of every kept run and the accuracy-vs-size / accuracy-vs-latency charts over them. */
import { scatterChart, type ScatterPoint } from './charts';
import { bytes, count, pct } from './format';
import type { MethodId, Run } from './protocol';

/** Marker colour of each method. */
export const COLORS: Record<MethodId, string> = { unstructured: '#c8733a', structured: '#2f6b9a', slimming: '#7a4fa0', gradual: '#b0413e', int8: '#8a7a20', kd: '#2f8f7a' };

/** `0.62x (0.55–0.71)`: the median paired latency ratio and its spread over rounds. */
export function latencyText(run: Run): string {
  const l = run.latency;
  return `${l.ratio.toFixed(2)}x (${l.ratioMin.toFixed(2)}–${l.ratioMax.toFixed(2)})`;
}

/** Where the history draws and what a pick does. */
export interface HistoryView {
  table: HTMLTableElement;
  sizeChart: SVGSVGElement;
  latencyChart: SVGSVGElement;
  sizeDesc: HTMLElement;
  latencyDesc: HTMLElement;
  onPick(run: number): void;
}

/** Renders every run in the table (newest first; the selected row marked) and the two charts for the runs of `model`. */
export function renderHistory(view: HistoryView, runs: readonly Run[], selected: number | null, model: string | undefined): void {
  const body = view.table.tBodies[0]!;
  body.replaceChildren();
  for (const r of [...runs].reverse()) {
    const tr = document.createElement('tr');
    tr.dataset.run = String(r.id);
    tr.setAttribute('aria-selected', String(r.id === selected));
    const cells = [
      `${r.id}`,
      `${r.model} · ${r.label}`,
      `${pct(r.after.accuracy)}${r.metric === 'agreement' ? ' agr.' : ''} (${((r.after.accuracy - r.before.accuracy) * 100).toFixed(1)} pt)`,
      count(r.after.params),
      bytes(r.after.bytes),
      latencyText(r),
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    const td = document.createElement('td');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = r.id === selected ? 'selected' : 'select';
    b.setAttribute('aria-label', `select run ${r.id}: ${r.label}`);
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      view.onPick(r.id);
    });
    td.append(b);
    tr.append(td);
    tr.addEventListener('click', () => view.onPick(r.id));
    body.append(tr);
  }
  const mine = runs.filter((r) => r.model === model);
  const metric = mine[0]?.metric === 'agreement' ? 'agreement with the original' : 'test accuracy';
  const first = mine[0];
  const original = (x: number, title: string): ScatterPoint[] => (first ? [{ x, y: first.before.accuracy, label: 'original', color: '#24452c', title, run: null }] : []);
  const sizePoints: ScatterPoint[] = [
    ...original((first?.before.bytes ?? 0) / 1024, `original: ${first ? pct(first.before.accuracy) : ''}, ${first ? bytes(first.before.bytes) : ''}`),
    ...mine.map((r) => ({ x: r.after.bytes / 1024, y: r.after.accuracy, label: `#${r.id}`, color: COLORS[r.method], title: `run ${r.id} ${r.label}: ${pct(r.after.accuracy)} at ${bytes(r.after.bytes)}`, run: r.id, selected: r.id === selected })),
  ];
  view.sizeDesc.textContent = scatterChart(view.sizeChart, sizePoints, { xTitle: 'download size (KB)', yTitle: metric, fx: (v) => `${Number(v.toPrecision(6))}`, fromZero: true, onPick: view.onPick });
  const latPoints: ScatterPoint[] = [
    ...original(1, 'original: latency ratio 1.00x'),
    ...mine.map((r) => ({ x: r.latency.ratio, xMin: r.latency.ratioMin, xMax: r.latency.ratioMax, y: r.after.accuracy, label: `#${r.id}`, color: COLORS[r.method], title: `run ${r.id} ${r.label}: ${pct(r.after.accuracy)}, latency ${latencyText(r)} of the original`, run: r.id, selected: r.id === selected })),
  ];
  view.latencyDesc.textContent = scatterChart(view.latencyChart, latPoints, { xTitle: 'latency ÷ original (paired rounds)', yTitle: metric, fx: (v) => `${Number(v.toFixed(2))}x`, fromZero: true, onPick: view.onPick });
}
