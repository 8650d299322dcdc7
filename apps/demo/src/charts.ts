/** Plain-SVG charts (no chart library). Each function replaces the content of an <svg>. */
import { pct } from './format';
import type { CurvePoint, LayerRow } from './protocol';

const NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function reset(svg: SVGSVGElement, width: number, height: number): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
}

/** A series of the accuracy-vs-sparsity chart. */
export interface Series {
  name: string;
  color: string;
  points: CurvePoint[];
  /** Connect the points (a sweep) or draw markers only (runs). */
  line: boolean;
}

/** Accuracy (y) against weight sparsity (x), both 0..1; y starts at `yMin`. */
export function accuracyChart(svg: SVGSVGElement, series: readonly Series[]): void {
  const W = 460, L = 48, R = 16, T = 12, B = 40;
  const plotBottom = 240;
  const H = plotBottom + B + series.length * 16;
  reset(svg, W, H);
  const all = series.flatMap((s) => s.points.map((p) => p.accuracy));
  const yMin = Math.max(0, Math.floor(Math.min(0.9, ...all) * 10) / 10);
  const x = (v: number): number => L + v * (W - L - R);
  const y = (v: number): number => T + (1 - (v - yMin) / (1 - yMin)) * (plotBottom - T);
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    svg.append(el('line', { x1: x(v), x2: x(v), y1: T, y2: plotBottom, class: 'grid' }));
    svg.append(el('text', { x: x(v), y: plotBottom + 16, 'text-anchor': 'middle', class: 'tick' }, pct(v, 0)));
    const a = yMin + v * (1 - yMin);
    svg.append(el('line', { x1: L, x2: W - R, y1: y(a), y2: y(a), class: 'grid' }));
    svg.append(el('text', { x: L - 6, y: y(a) + 4, 'text-anchor': 'end', class: 'tick' }, pct(a, 0)));
  }
  svg.append(el('text', { x: (L + W - R) / 2, y: plotBottom + 32, 'text-anchor': 'middle', class: 'axis' }, 'sparsity: share of the dense params zeroed or removed'));
  svg.append(el('text', { x: 12, y: (T + plotBottom) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${(T + plotBottom) / 2})` }, 'test accuracy'));
  series.forEach((s, i) => {
    if (s.line && s.points.length > 1) {
      const sorted = [...s.points].sort((a, b) => a.sparsity - b.sparsity);
      svg.append(el('polyline', { points: sorted.map((p) => `${x(p.sparsity)},${y(Math.max(yMin, p.accuracy))}`).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': '4 3' }));
    }
    for (const p of s.points) {
      const c = el('circle', { cx: x(p.sparsity), cy: y(Math.max(yMin, p.accuracy)), r: s.line ? 3.5 : 6, fill: s.color, class: 'point' });
      c.append(el('title', {}, `${p.label}: ${pct(p.accuracy)} at ${pct(p.sparsity, 1)} sparsity`));
      svg.append(c);
    }
    const ly = plotBottom + B + 4 + i * 16;
    if (s.line) svg.append(el('line', { x1: L, x2: L + 14, y1: ly + 5, y2: ly + 5, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': '4 3' }));
    svg.append(el('circle', { cx: L + 7, cy: ly + 5, r: s.line ? 3.5 : 5, fill: s.color }));
    svg.append(el('text', { x: L + 22, y: ly + 9, class: 'legend' }, s.name));
  });
}

/** One before/after quantity of the bar chart. */
export interface BarRow {
  label: string;
  before: number;
  after: number;
  format: (v: number) => string;
}

/** Before (grey) and after (green) bars per quantity, each row scaled to its larger value. */
export function beforeAfterChart(svg: SVGSVGElement, rows: readonly BarRow[]): void {
  const W = 460, rowH = 44, L = 110, R = 90;
  const H = rows.length * rowH + 24;
  reset(svg, W, H);
  rows.forEach((r, i) => {
    const top = 8 + i * rowH;
    const max = Math.max(r.before, r.after, 1e-12);
    const w = (v: number): number => Math.max(1, (v / max) * (W - L - R));
    svg.append(el('text', { x: L - 8, y: top + 18, 'text-anchor': 'end', class: 'label' }, r.label));
    svg.append(el('rect', { x: L, y: top + 2, width: w(r.before), height: 16, class: 'bar-before' }));
    svg.append(el('text', { x: L + w(r.before) + 6, y: top + 15, class: 'value' }, r.format(r.before)));
    svg.append(el('rect', { x: L, y: top + 20, width: w(r.after), height: 16, class: 'bar-after' }));
    svg.append(el('text', { x: L + w(r.after) + 6, y: top + 33, class: 'value' }, `${r.format(r.after)} (${(r.after / (r.before || 1)).toFixed(2)}x)`));
  });
  svg.append(el('rect', { x: L, y: H - 14, width: 10, height: 10, class: 'bar-before' }));
  svg.append(el('text', { x: L + 14, y: H - 5, class: 'legend' }, 'before'));
  svg.append(el('rect', { x: L + 70, y: H - 14, width: 10, height: 10, class: 'bar-after' }));
  svg.append(el('text', { x: L + 84, y: H - 5, class: 'legend' }, 'after'));
}

/** Per-layer sparsity bars (share of the original kernel that is zero or removed) with channel counts. */
export function layerChart(svg: SVGSVGElement, rows: readonly LayerRow[], originalParams: ReadonlyMap<string, number>): void {
  const W = 460, rowH = 26, L = 60, R = 130;
  const H = rows.length * rowH + 10;
  reset(svg, W, H);
  rows.forEach((r, i) => {
    const top = 6 + i * rowH;
    const orig = originalParams.get(r.node) ?? r.params;
    const alive = r.params * (1 - r.sparsity);
    const s = orig ? 1 - alive / orig : 0;
    svg.append(el('text', { x: L - 8, y: top + 15, 'text-anchor': 'end', class: 'label' }, r.node));
    svg.append(el('rect', { x: L, y: top + 2, width: W - L - R, height: 18, class: 'bar-track' }));
    const bar = el('rect', { x: L, y: top + 2, width: Math.max(0, s * (W - L - R)), height: 18, class: 'bar-sparsity' });
    bar.append(el('title', {}, `${r.node}: ${pct(s, 1)} of ${orig} weights pruned`));
    svg.append(bar);
    const ch = r.channelsAfter === r.channelsBefore ? `${r.channelsAfter} ch` : `${r.channelsBefore}→${r.channelsAfter} ch`;
    svg.append(el('text', { x: W - R + 6, y: top + 15, class: 'value' }, `${pct(s, 0)} · ${ch}`));
  });
}

/** Ten probability bars (digits 0-9), the arg-max highlighted. */
export function probabilityChart(svg: SVGSVGElement, probs: readonly number[] | undefined): void {
  const W = 220, H = 110, B = 16;
  reset(svg, W, H);
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  for (let d = 0; d < 10; d++) {
    const p = probs?.[d] ?? 0;
    const x = 4 + d * 21.5;
    svg.append(el('rect', { x, y: H - B - p * (H - B - 4), width: 17, height: Math.max(0.5, p * (H - B - 4)), class: d === best ? 'prob-best' : 'prob' }));
    svg.append(el('text', { x: x + 8.5, y: H - 3, 'text-anchor': 'middle', class: 'tick' }, String(d)));
  }
}
