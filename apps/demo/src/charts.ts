/**
 * Plain-SVG charts (no chart library). Each function draws into an <svg> at the width it has on
 * the page (1 SVG unit = 1 CSS px, so the 12 px text stays 12 px on a phone) and returns a text
 * alternative for screen readers.
 */
import { pct } from './format';
import type { CurvePoint, LayerRow } from './protocol';

const NS = 'http://www.w3.org/2000/svg';
/** Font size of every chart text, px. */
export const CHART_FONT = 12;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Clears `svg` and sizes it to its container's width (at least `min` px); returns that width. */
function reset(svg: SVGSVGElement, height: number, min = 280): number {
  const width = Math.max(min, Math.floor(svg.parentElement?.getBoundingClientRect().width ?? 460));
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  return width;
}

/** Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const raw = (hi - lo) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
  const out: number[] = [];
  for (let v = Math.floor(lo / step + 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < hi - step * 1e-9) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

/** Decimal places that show every tick of `ticks` (as multiples of `scale`) distinctly. */
function decimals(ticks: readonly number[], scale = 1): number {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) * scale : 1;
  return Math.max(0, Math.min(3, Math.ceil(-Math.log10(step) + 1e-9)));
}

/** Average advance of a 12 px sans-serif character, px (a safe over-estimate for digits and lower case). */
const CHAR_PX = 7;

/** `text` shortened from the front (keeping its end, which names the layer) to fit `maxPx`. */
export function fitText(text: string, maxPx: number): string {
  const max = Math.max(4, Math.floor(maxPx / CHAR_PX));
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

/** An axis title, or its head (before ":" or "(") when the whole would not fit in `px`. */
function fitTitle(title: string, px: number): string {
  return title.length * CHAR_PX <= px ? title : fitText(title.split(/[:(]/)[0]!.trim(), px);
}

interface Axes {
  x(v: number): number;
  y(v: number): number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Grid, ticks and axis titles of an x/y chart. */
function axes(svg: SVGSVGElement, width: number, height: number, xt: number[], yt: number[], fx: (v: number) => string, fy: (v: number) => string, titles: [string, string]): Axes {
  const left = 52, right = width - 16, top = 10, bottom = height - 40;
  const [x0, x1] = [xt[0]!, xt[xt.length - 1]!];
  const [y0, y1] = [yt[0]!, yt[yt.length - 1]!];
  const x = (v: number): number => left + ((v - x0) / (x1 - x0 || 1)) * (right - left);
  const y = (v: number): number => bottom - ((v - y0) / (y1 - y0 || 1)) * (bottom - top);
  xt.forEach((v, i) => {
    svg.append(el('line', { x1: x(v), x2: x(v), y1: top, y2: bottom, class: 'grid' }));
    const anchor = i === 0 ? 'start' : i === xt.length - 1 ? 'end' : 'middle';
    svg.append(el('text', { x: x(v), y: bottom + 15, 'text-anchor': anchor, class: 'tick' }, fx(v)));
  });
  for (const v of yt) {
    svg.append(el('line', { x1: left, x2: right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick y-tick' }, fy(v)));
  }
  svg.append(el('text', { x: (left + right) / 2, y: bottom + 32, 'text-anchor': 'middle', class: 'axis' }, fitTitle(titles[0], right - left)));
  svg.append(el('text', { x: 12, y: (top + bottom) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${(top + bottom) / 2})` }, fitTitle(titles[1], bottom - top)));
  return { x, y, left, right, top, bottom };
}

function legend(svg: SVGSVGElement, items: ReadonlyArray<{ name: string; color: string; line?: boolean }>, top: number, left: number): void {
  items.forEach((s, i) => {
    const ly = top + i * 18;
    if (s.line) svg.append(el('line', { x1: left, x2: left + 14, y1: ly + 5, y2: ly + 5, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': '4 3' }));
    svg.append(el('circle', { cx: left + 7, cy: ly + 5, r: 4, fill: s.color }));
    svg.append(el('text', { x: left + 22, y: ly + 9, class: 'legend' }, s.name));
  });
}

/** A series of the accuracy-vs-sparsity chart. */
export interface Series {
  name: string;
  color: string;
  points: CurvePoint[];
  /** Connect the points (a sweep) or draw markers only (runs). */
  line: boolean;
}

/** Accuracy (y) against weight sparsity (x), both 0..1. */
export function accuracyChart(svg: SVGSVGElement, series: readonly Series[], metric: string): string {
  const height = 250 + series.length * 18;
  const width = reset(svg, height);
  const all = series.flatMap((s) => s.points.map((p) => p.accuracy)).filter(Number.isFinite);
  const yt = niceTicks(Math.max(0, Math.min(...all, 1) - 0.02), 1, 5).filter((v) => v <= 1 + 1e-9);
  const a = axes(svg, width, 240, niceTicks(0, 1, width < 360 ? 4 : 5), yt, (v) => pct(v, 0), (v) => pct(v, decimals(yt, 100)), ['sparsity: share of the params zeroed or removed', metric]);
  const clampY = (v: number): number => a.y(Math.max(yt[0]!, v));
  for (const s of series) {
    if (s.line && s.points.length > 1) {
      const sorted = [...s.points].sort((p, q) => p.sparsity - q.sparsity);
      svg.append(el('polyline', { points: sorted.map((p) => `${a.x(p.sparsity)},${clampY(p.accuracy)}`).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': '4 3' }));
    }
    for (const p of s.points) {
      const c = el('circle', { cx: a.x(p.sparsity), cy: clampY(p.accuracy), r: s.line ? 3.5 : 5.5, fill: s.color, 'fill-opacity': s.line ? 1 : 0.75, class: 'point' });
      c.append(el('title', {}, `${p.label}: ${pct(p.accuracy)} at ${pct(p.sparsity, 1)} sparsity`));
      svg.append(c);
    }
  }
  legend(svg, series.map((s) => ({ name: s.name, color: s.color, line: s.line })), 250, a.left);
  return series.map((s) => `${s.name}: ${s.points.map((p) => `${p.label} ${pct(p.accuracy)} at ${pct(p.sparsity, 0)} sparsity`).join('; ')}`).join('. ');
}

/** One marker of a scatter chart (a run, or the original model). */
export interface ScatterPoint {
  x: number;
  y: number;
  /** Horizontal error bar (e.g. the spread of latency ratios). */
  xMin?: number;
  xMax?: number;
  label: string;
  color: string;
  title: string;
  /** Run id (clickable), or null for the original. */
  run: number | null;
  selected?: boolean;
}

/** Accuracy (y) against a size or speed quantity (x); markers are labelled with the run number and clickable. */
export function scatterChart(svg: SVGSVGElement, points: readonly ScatterPoint[], o: { xTitle: string; yTitle: string; fx: (v: number) => string; fromZero: boolean; onPick(run: number): void }): string {
  const width = reset(svg, 250);
  if (points.length === 0) return 'no runs yet';
  const xs = points.flatMap((p) => [p.x, p.xMin ?? p.x, p.xMax ?? p.x]);
  const ys = points.map((p) => p.y).filter(Number.isFinite);
  const xt = niceTicks(o.fromZero ? 0 : Math.min(...xs), Math.max(...xs) * 1.05, width < 360 ? 3 : 5);
  const yt = niceTicks(Math.max(0, Math.min(...ys) - 0.02), Math.min(1, Math.max(...ys) + 0.01), 4).filter((v) => v <= 1 + 1e-9);
  const a = axes(svg, width, 250, xt, yt, o.fx, (v) => pct(v, decimals(yt, 100)), [o.xTitle, o.yTitle]);
  const placed: Array<[number, number]> = [];
  for (const p of points) {
    const cx = a.x(p.x), cy = a.y(Math.max(yt[0]!, p.y));
    if (p.xMin !== undefined && p.xMax !== undefined) svg.append(el('line', { x1: a.x(p.xMin), x2: a.x(p.xMax), y1: cy, y2: cy, stroke: p.color, 'stroke-width': 1.5, class: 'spread' }));
    const g = el('g', { class: p.run === null ? 'marker original' : `marker run${p.selected ? ' selected' : ''}`, 'data-run': p.run ?? '' });
    g.append(el('circle', { cx, cy, r: p.selected ? 7 : 5.5, fill: p.color, 'fill-opacity': 0.8, stroke: p.selected ? '#1d2a1f' : 'none', 'stroke-width': 2 }));
    g.append(el('title', {}, p.title));
    if (p.run !== null) {
      const run = p.run;
      g.addEventListener('click', () => o.onPick(run));
      g.style.cursor = 'pointer';
    }
    svg.append(g);
    // Label to the right unless it would leave the plot or land on an earlier label; then above.
    let lx = cx + 9, ly = cy + 4, anchor = 'start';
    if (lx + 8 * p.label.length > a.right) { lx = cx - 9; anchor = 'end'; }
    if (placed.some(([px, py]) => Math.abs(px - lx) < 24 && Math.abs(py - ly) < 13)) ly = cy - 10;
    placed.push([lx, ly]);
    svg.append(el('text', { x: lx, y: ly, 'text-anchor': anchor, class: 'value' }, p.label));
  }
  return points.map((p) => p.title).join('. ');
}

/** One before/after quantity of the bar chart. */
export interface BarRow {
  label: string;
  before: number;
  after: number;
  format: (v: number) => string;
}

/** Before (grey) and after (green) bars per quantity, each row scaled to its larger value. */
export function beforeAfterChart(svg: SVGSVGElement, rows: readonly BarRow[]): string {
  const rowH = 46;
  const height = rows.length * rowH + 26;
  const width = reset(svg, height);
  const label = 104, valueRoom = 136;
  const span = Math.max(40, width - label - valueRoom);
  rows.forEach((r, i) => {
    const top = 6 + i * rowH;
    const max = Math.max(r.before, r.after, 1e-12);
    const w = (v: number): number => Math.max(1, (v / max) * span);
    svg.append(el('text', { x: label - 8, y: top + 20, 'text-anchor': 'end', class: 'label' }, r.label));
    svg.append(el('rect', { x: label, y: top + 2, width: w(r.before), height: 17, class: 'bar-before' }));
    svg.append(el('text', { x: label + w(r.before) + 6, y: top + 15, class: 'value' }, r.format(r.before)));
    svg.append(el('rect', { x: label, y: top + 21, width: w(r.after), height: 17, class: 'bar-after' }));
    svg.append(el('text', { x: label + w(r.after) + 6, y: top + 34, class: 'value' }, `${r.format(r.after)} (${(r.after / (r.before || 1)).toFixed(2)}x)`));
  });
  svg.append(el('rect', { x: label, y: height - 16, width: 11, height: 11, class: 'bar-before' }));
  svg.append(el('text', { x: label + 15, y: height - 6, class: 'legend' }, 'original'));
  svg.append(el('rect', { x: label + 84, y: height - 16, width: 11, height: 11, class: 'bar-after' }));
  svg.append(el('text', { x: label + 99, y: height - 6, class: 'legend' }, 'compressed'));
  return rows.map((r) => `${r.label}: ${r.format(r.before)} before, ${r.format(r.after)} after (${(r.after / (r.before || 1)).toFixed(2)}x)`).join('; ');
}

/** Per-layer sparsity bars (share of the original kernel that is zero or removed) with channel counts. */
export function layerChart(svg: SVGSVGElement, rows: readonly LayerRow[], originalParams: ReadonlyMap<string, number>): string {
  const rowH = 36;
  const height = rows.length * rowH + 8;
  const width = reset(svg, height);
  const bar = Math.max(60, width - 16);
  const texts: string[] = [];
  rows.forEach((r, i) => {
    const top = 4 + i * rowH;
    const orig = originalParams.get(r.node) ?? r.params;
    const alive = r.params * (1 - r.sparsity);
    const s = orig ? 1 - alive / orig : 0;
    const ch = r.channelsAfter === r.channelsBefore ? `${r.channelsAfter} ch` : `${r.channelsBefore}→${r.channelsAfter} ch`;
    const tail = `: ${pct(s, 0)} · ${ch}`;
    texts.push(`${r.node}${tail}`);
    const t = el('text', { x: 8, y: top + 12, class: 'label' }, `${fitText(r.node, bar - tail.length * CHAR_PX)}${tail}`);
    t.append(el('title', {}, r.node));
    svg.append(t);
    svg.append(el('rect', { x: 8, y: top + 17, width: bar, height: 12, class: 'bar-track' }));
    const b = el('rect', { x: 8, y: top + 17, width: Math.max(0, s * bar), height: 12, class: 'bar-sparsity' });
    b.append(el('title', {}, `${r.node}: ${pct(s, 1)} of ${orig} weights pruned`));
    svg.append(b);
  });
  return `Share of each layer's weights zeroed or removed: ${texts.join('; ')}`;
}

/** Training loss against optimizer step, redrawn as points arrive. */
export function lossChart(svg: SVGSVGElement, points: ReadonlyArray<{ step: number; loss: number }>, title: string): string {
  const width = reset(svg, 170);
  if (points.length < 2) {
    svg.append(el('text', { x: 8, y: 20, class: 'label' }, points.length ? `one step only: loss ${points[0]!.loss.toFixed(3)}` : 'no training yet'));
    return points.length ? `${title}: one step, loss ${points[0]!.loss.toFixed(3)}` : 'no training yet';
  }
  const steps = points.map((p) => p.step);
  const losses = points.map((p) => p.loss);
  const xt = niceTicks(0, Math.max(...steps), width < 360 ? 3 : 5);
  const yt = niceTicks(0, Math.max(...losses), 3);
  const a = axes(svg, width, 170, xt, yt, (v) => String(v), (v) => v.toFixed(decimals(yt)), ['optimizer step', 'loss']);
  svg.append(el('polyline', { points: points.map((p) => `${a.x(p.step)},${a.y(p.loss)}`).join(' '), fill: 'none', stroke: '#2f6b9a', 'stroke-width': 2, class: 'loss-line' }));
  const last = points[points.length - 1]!;
  return `${title}: loss ${points[0]!.loss.toFixed(3)} at step ${points[0]!.step}, ${last.loss.toFixed(3)} at step ${last.step}`;
}

/** Ten probability bars (digits 0-9), the arg-max highlighted. */
export function probabilityChart(svg: SVGSVGElement, probs: readonly number[] | undefined): string {
  const W = 220, H = 118, B = 18;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  for (let d = 0; d < 10; d++) {
    const p = probs?.[d] ?? 0;
    const x = 4 + d * 21.5;
    svg.append(el('rect', { x, y: H - B - p * (H - B - 4), width: 17, height: Math.max(0.5, p * (H - B - 4)), class: d === best ? 'prob-best' : 'prob' }));
    svg.append(el('text', { x: x + 8.5, y: H - 4, 'text-anchor': 'middle', class: 'tick' }, String(d)));
  }
  return probs ? `most likely ${best} (${pct(probs[best] ?? 0, 0)})` : 'no prediction yet';
}
