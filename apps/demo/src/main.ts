/** The demo page: UI only; every computation happens in ./worker.ts. */
import { accuracyChart, beforeAfterChart, layerChart, probabilityChart, type Series } from './charts';
import { attachPad, downsample } from './draw';
import { bytes, count, ms, pct, ratio } from './format';
import type { CurvePoint, LayerRow, MethodId, MethodInfo, Metrics, Request, Response } from './protocol';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing`);
  return e as T;
};
const svg = (id: string): SVGSVGElement => document.getElementById(id) as unknown as SVGSVGElement;

const COLORS: Record<MethodId, string> = { unstructured: '#c8733a', structured: '#2f6b9a', slimming: '#7a4fa0', gradual: '#b0413e', int8: '#8a7a20', kd: '#2f8f7a' };

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (req: Request, transfer: Transferable[] = []): void => worker.postMessage(req, transfer);

interface UiState {
  methods: MethodInfo[];
  method?: MethodId;
  busy: boolean;
  ready: boolean;
  dense?: Metrics;
  denseLayers: Map<string, number>;
  runs: Map<MethodId, CurvePoint[]>;
  sweeps: Map<MethodId, CurvePoint[]>;
  compressed: boolean;
  sampleIndex: number;
}
const ui: UiState = { methods: [], busy: true, ready: false, denseLayers: new Map(), runs: new Map(), sweeps: new Map(), compressed: false, sampleIndex: 0 };

function setBusy(busy: boolean): void {
  ui.busy = busy;
  document.body.dataset.busy = String(busy);
  const hasModel = ui.dense !== undefined;
  $<HTMLButtonElement>('train').disabled = busy || !ui.ready;
  $<HTMLInputElement>('load').disabled = busy || !ui.ready;
  const m = ui.methods.find((x) => x.id === ui.method);
  $<HTMLButtonElement>('run').disabled = busy || !hasModel || m === undefined;
  $<HTMLButtonElement>('download').disabled = busy || !hasModel;
  $<HTMLButtonElement>('sample').disabled = busy || !ui.ready;
}

function setProgress(fraction: number, text: string): void {
  $('progress-bar').style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  $('progress-text').textContent = text;
}

function renderMethods(): void {
  const box = $('methods');
  box.replaceChildren();
  for (const m of ui.methods) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'method';
    input.value = m.id;
    input.checked = m.id === ui.method;
    input.addEventListener('change', () => selectMethod(m.id));
    label.append(input, ` ${m.label}`);
    label.title = m.note;
    box.append(label);
  }
}

function selectMethod(id: MethodId): void {
  ui.method = id;
  const m = ui.methods.find((x) => x.id === id);
  $('method-note').textContent = m?.note ?? '';
  $('ratio-label').textContent = m?.ratioLabel ?? '';
  $<HTMLInputElement>('ratio').disabled = !m?.ratioLabel;
  setBusy(ui.busy);
}

function renderTable(before: Metrics, after?: Metrics): void {
  const rows: Array<[string, (m: Metrics) => number, (v: number) => string]> = [
    ['test accuracy', (m) => m.accuracy, (v) => pct(v)],
    ['params', (m) => m.params, count],
    ['non-zero params', (m) => m.nonZero, count],
    ['MACs (dense)', (m) => m.macs, count],
    ['MACs (non-zero weights)', (m) => m.effectiveMacs, count],
    ['download size', (m) => m.bytes, bytes],
    ['gzipped', (m) => m.gzipBytes, bytes],
    ['latency (batch 64, median)', (m) => m.latencyMs, ms],
  ];
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren();
  for (const [name, get, fmt] of rows) {
    const tr = document.createElement('tr');
    const cells = [name, fmt(get(before)), after ? fmt(get(after)) : '–', after ? (name === 'test accuracy' ? `${((get(after) - get(before)) * 100).toFixed(2)} pt` : ratio(get(before), get(after))) : ''];
    cells.forEach((c, i) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (i === 2 && name === 'test accuracy') td.id = 'after-accuracy';
      if (i === 1 && name === 'test accuracy') td.id = 'dense-accuracy';
      tr.append(td);
    });
    body.append(tr);
  }
}

function renderAccuracyChart(): void {
  if (!ui.dense) return;
  const series: Series[] = [{ name: 'dense', color: '#24452c', points: [{ sparsity: 0, accuracy: ui.dense.accuracy, label: 'dense' }], line: false }];
  for (const [id, pts] of ui.sweeps) series.push({ name: `${id}: one-shot, no fine-tuning`, color: COLORS[id], points: pts, line: true });
  for (const [id, pts] of ui.runs) series.push({ name: `${id}: fine-tuned runs`, color: COLORS[id], points: pts, line: false });
  accuracyChart(svg('chart-accuracy'), series);
}

function renderSizeChart(before: Metrics, after: Metrics): void {
  beforeAfterChart(svg('chart-size'), [
    { label: 'file size', before: before.bytes, after: after.bytes, format: bytes },
    { label: 'gzipped', before: before.gzipBytes, after: after.gzipBytes, format: bytes },
    { label: 'latency', before: before.latencyMs, after: after.latencyMs, format: ms },
    { label: 'non-zero params', before: before.nonZero, after: after.nonZero, format: count },
  ]);
}

function renderLayers(rows: LayerRow[]): void {
  layerChart(svg('chart-layers'), rows, ui.denseLayers);
}

function onMessage(msg: Response): void {
  switch (msg.type) {
    case 'ready': {
      const b = msg.backend;
      $('backend').textContent = `backend: ${b.name} · SIMD: ${b.simd ? 'on' : 'off'} · threads: ${b.threads ? 'on' : 'off'}`;
      $('backend').dataset.backend = b.name;
      ui.methods = msg.methods;
      ui.ready = true;
      renderMethods();
      selectMethod(msg.methods[0]!.id);
      setProgress(1, `ready: ${msg.trainCount} training and ${msg.testCount} test digits loaded`);
      setBusy(false);
      break;
    }
    case 'progress':
      setProgress(msg.fraction, msg.text);
      break;
    case 'model': {
      ui.dense = msg.metrics;
      ui.denseLayers = new Map(msg.layers.map((r) => [r.node, r.params]));
      ui.runs.clear();
      ui.sweeps.clear();
      ui.compressed = false;
      const m = msg.metrics;
      $('dense-summary').textContent = `${msg.source === 'trained' ? 'Trained' : 'Loaded'}: test accuracy ${pct(m.accuracy)} · ${count(m.params)} params · ${bytes(m.bytes)} · ${ms(m.latencyMs)} per batch of 64`;
      renderTable(m);
      renderAccuracyChart();
      renderLayers(msg.layers);
      svg('chart-size').replaceChildren();
      setProgress(1, 'model ready: pick a method and a ratio');
      setBusy(false);
      predictDrawing();
      break;
    }
    case 'compressed': {
      ui.compressed = true;
      ui.runs.set(msg.method, [...(ui.runs.get(msg.method) ?? []), msg.point]);
      if (msg.sweep.length) ui.sweeps.set(msg.method, msg.sweep);
      renderTable(msg.before, msg.after);
      renderAccuracyChart();
      renderSizeChart(msg.before, msg.after);
      renderLayers(msg.layers);
      setProgress(1, `done in ${msg.seconds < 1 ? msg.seconds.toFixed(2) : msg.seconds.toFixed(1)} s: ${msg.point.label} → ${pct(msg.after.accuracy)} accuracy`);
      document.body.dataset.compressed = msg.method;
      setBusy(false);
      predictDrawing();
      break;
    }
    case 'prediction': {
      const best = (p: number[]): string => String(p.indexOf(Math.max(...p)));
      probabilityChart(svg('probs-dense'), msg.dense);
      $('pred-dense').textContent = best(msg.dense);
      probabilityChart(svg('probs-compressed'), msg.compressed);
      $('pred-compressed').textContent = msg.compressed ? best(msg.compressed) : '–';
      break;
    }
    case 'sample':
      pad.paint(msg.pixels);
      showPreview(msg.pixels);
      $('sample-label').textContent = `test digit #${msg.index}: label ${msg.label}`;
      break;
    case 'exported':
      for (const f of msg.files) saveFile(f.name, new Blob([f.data], { type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
      setBusy(false);
      break;
    case 'error':
      setProgress(0, `error: ${msg.message}`);
      $('progress-text').classList.add('error');
      setBusy(false);
      break;
  }
}

function saveFile(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function showPreview(pixels: Float32Array): void {
  const c = $<HTMLCanvasElement>('preview');
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round((pixels[i] ?? 0) * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

let drawn: Float32Array | undefined;
function predictDrawing(): void {
  if (!drawn || !ui.dense) return;
  send({ type: 'predict', pixels: drawn.slice() });
}

const pad = attachPad($<HTMLCanvasElement>('pad'), () => {
  drawn = downsample($<HTMLCanvasElement>('pad'));
  showPreview(drawn);
  $('sample-label').textContent = '';
  predictDrawing();
});

worker.onmessage = (e: MessageEvent<Response>) => onMessage(e.data);
worker.onerror = (e) => {
  setProgress(0, `worker error: ${e.message}`);
  setBusy(false);
};

$('train').addEventListener('click', () => {
  setBusy(true);
  send({ type: 'train', epochs: Number($<HTMLSelectElement>('epochs').value), trainSize: Number($<HTMLSelectElement>('train-size').value) });
});
$<HTMLInputElement>('load').addEventListener('change', async (e) => {
  const files = [...((e.target as HTMLInputElement).files ?? [])];
  const json = files.find((f) => f.name.endsWith('.json'));
  const weights = files.find((f) => f.name.endsWith('.bin'));
  if (!json || !weights) {
    setProgress(0, 'pick both model.json and weights.bin');
    return;
  }
  setBusy(true);
  const buf = await weights.arrayBuffer();
  send({ type: 'load', json: await json.text(), weights: buf }, [buf]);
});
const ratioInput = $<HTMLInputElement>('ratio');
ratioInput.addEventListener('input', () => {
  $('ratio-value').textContent = pct(Number(ratioInput.value), 0);
});
$('run').addEventListener('click', () => {
  if (!ui.method) return;
  setBusy(true);
  setProgress(0, 'starting…');
  send({ type: 'compress', method: ui.method, ratio: Number(ratioInput.value) });
});
$('download').addEventListener('click', () => {
  setBusy(true);
  send({ type: 'export' });
});
$('clear').addEventListener('click', () => {
  pad.clear();
  drawn = undefined;
  showPreview(new Float32Array(784));
  probabilityChart(svg('probs-dense'), undefined);
  probabilityChart(svg('probs-compressed'), undefined);
  $('pred-dense').textContent = '–';
  $('pred-compressed').textContent = '–';
  $('sample-label').textContent = '';
});
$('sample').addEventListener('click', () => {
  send({ type: 'sample', index: ui.sampleIndex++ });
});
worker.addEventListener('message', (e: MessageEvent<Response>) => {
  if (e.data.type === 'sample') drawn = e.data.pixels;
});

let frames = 0;
const beat = (): void => {
  frames++;
  if (frames % 10 === 0) $('heartbeat').textContent = `page frames: ${frames} (the page stays responsive while the worker computes)`;
  requestAnimationFrame(beat);
};
requestAnimationFrame(beat);

showPreview(new Float32Array(784));
probabilityChart(svg('probs-dense'), undefined);
probabilityChart(svg('probs-compressed'), undefined);
setBusy(true);
send({ type: 'init', assetBase: new URL('./', document.baseURI).href });
