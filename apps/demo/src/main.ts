/** The demo page: UI only; every computation happens in ./worker.ts. */
import { accuracyChart, beforeAfterChart, layerChart, lossChart, probabilityChart, type Series } from './charts';
import { droppedFiles, pickedFiles, type PathedFile } from './byo/dropped-files';
import { attachPad, downsample, PAD_KEYS } from './draw';
import { bytes, count, ms, pct, ratio } from './format';
import { COLORS, latencyText, renderHistory } from './history';
import type { CurvePoint, DataSummary, Estimate, LayerRow, MethodId, MethodInfo, Metrics, ModelSummary, Request, Response, Run, WeightQuant } from './protocol';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing`);
  return e as T;
};
const svg = (id: string): SVGSVGElement => document.getElementById(id) as unknown as SVGSVGElement;

/** The method selected when the page opens: the one that makes the model physically smaller and faster. */
const DEFAULT_METHOD: MethodId = 'structured';

interface UiState {
  methods: MethodInfo[];
  method: MethodId;
  busy: boolean;
  ready: boolean;
  summary?: ModelSummary;
  data?: DataSummary;
  dense?: Metrics;
  denseLayers: Map<string, number>;
  runs: Run[];
  selected: number | null;
  sweeps: Map<MethodId, CurvePoint[]>;
  loss: Array<{ step: number; loss: number }>;
  lossTask: string;
  sampleIndex: number;
}
const ui: UiState = { methods: [], method: DEFAULT_METHOD, busy: true, ready: false, denseLayers: new Map(), runs: [], selected: null, sweeps: new Map(), loss: [], lossTask: '', sampleIndex: 0 };

let worker: Worker;
const send = (req: Request): void => worker.postMessage(req);

function showAlert(message: string, retry = false): void {
  $('alert-text').textContent = message;
  $('alert-actions').hidden = !retry;
  $('alert').hidden = false;
}

function clearAlert(): void {
  $('alert').hidden = true;
  $('alert-text').textContent = '';
}

function canCompress(): boolean {
  return ui.dense !== undefined && Number.isFinite(ui.dense.accuracy) && !ui.summary?.methods.find((m) => m.id === ui.method)?.disabled;
}

function setBusy(busy: boolean): void {
  ui.busy = busy;
  document.body.dataset.busy = String(busy);
  const off = busy || !ui.ready;
  for (const id of ['train', 'pretrained', 'sample']) $<HTMLButtonElement>(id).disabled = off;
  for (const id of ['model-files', 'image-folder', 'image-files']) $<HTMLInputElement>(id).disabled = off;
  $<HTMLButtonElement>('run').disabled = off || !canCompress();
  $<HTMLButtonElement>('download').disabled = off || ui.summary === undefined;
  $<HTMLSelectElement>('quant').disabled = off || ui.summary?.format === 'bonsai';
  const unlabeled = ui.data?.labeled === false;
  const kd = $<HTMLInputElement>('kd');
  if (unlabeled) kd.checked = true;
  kd.disabled = off || unlabeled;
  kd.title = unlabeled ? 'the images have no labels: fine-tuning always distills from the original model' : '';
}

function setProgress(fraction: number, text: string): void {
  const v = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  $('progress-bar').style.width = `${v}%`;
  $('progress').setAttribute('aria-valuenow', String(v));
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
    const disabled = ui.summary?.methods.find((x) => x.id === m.id)?.disabled;
    input.disabled = disabled !== undefined;
    label.dataset.disabled = String(disabled !== undefined);
    input.addEventListener('change', () => selectMethod(m.id));
    label.append(input, ` ${m.label}`);
    label.title = disabled ? `unavailable: ${disabled}` : m.note;
    box.append(label);
  }
}

function selectMethod(id: MethodId): void {
  ui.method = id;
  const m = ui.methods.find((x) => x.id === id);
  const disabled = ui.summary?.methods.find((x) => x.id === id)?.disabled;
  $('method-note').textContent = disabled ? `${m?.label ?? id} is unavailable for this model: ${disabled}` : (m?.note ?? '');
  $('ratio-label').textContent = m?.ratioLabel ?? 'this method takes no ratio';
  $<HTMLInputElement>('ratio').disabled = !m?.ratioLabel;
  for (const input of $('methods').querySelectorAll<HTMLInputElement>('input')) input.checked = input.value === id;
  setBusy(ui.busy);
  requestEstimate();
}

/** Picks the default method, or the first available one when the default does not apply to the model. */
function preselect(): void {
  const ok = (id: MethodId): boolean => !ui.summary?.methods.find((x) => x.id === id)?.disabled;
  selectMethod(ok(ui.method) ? ui.method : ok(DEFAULT_METHOD) ? DEFAULT_METHOD : (ui.methods.find((m) => ok(m.id))?.id ?? DEFAULT_METHOD));
}

let estimateTimer: ReturnType<typeof setTimeout> | undefined;
function requestEstimate(): void {
  if (!ui.summary || !ui.ready) return;
  clearTimeout(estimateTimer);
  estimateTimer = setTimeout(() => send({ type: 'estimate', method: ui.method, ratio: Number($<HTMLInputElement>('ratio').value), quant: $<HTMLSelectElement>('quant').value as WeightQuant }), 60);
}

function showEstimate(e: Estimate): void {
  if (!ui.summary || e.method !== ui.method) return;
  const s = ui.summary;
  const nz = e.nonZero < e.params ? ` (${count(e.nonZero)} non-zero)` : '';
  $('estimate').textContent = `Estimate: ${count(e.params)} params${nz} (${ratio(s.params, e.params)}), ${count(e.macs)} MACs (${ratio(s.macs, e.macs)}), weights ≈ ${bytes(e.bytes)}`;
}

function metricName(): string {
  return ui.data?.labeled === false ? 'agreement with the original' : 'test accuracy';
}

function renderCompare(run: Run | undefined): void {
  const before = run?.before ?? ui.dense;
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren();
  if (!before) return;
  const after = run?.after;
  const rows: Array<[string, (m: Metrics) => number, (v: number) => string]> = [
    [run?.metric === 'agreement' || (!run && ui.data?.labeled === false) ? 'top-1 agreement' : 'test accuracy', (m) => m.accuracy, (v) => (Number.isFinite(v) ? pct(v) : '–')],
    ['params', (m) => m.params, count],
    ['non-zero params', (m) => m.nonZero, count],
    ['MACs (dense)', (m) => m.macs, count],
    ['MACs (non-zero weights)', (m) => m.effectiveMacs, count],
    ['download size', (m) => m.bytes, bytes],
    ['gzipped', (m) => m.gzipBytes, (v) => (Number.isFinite(v) ? bytes(v) : '–')],
    [`latency (batch ${run?.latency.batch ?? '…'}, median)`, (m) => m.latencyMs, (v) => (Number.isFinite(v) ? ms(v) : '–')],
  ];
  rows.forEach(([name, get, fmt], i) => {
    const tr = document.createElement('tr');
    const delta = after ? (i === 0 ? `${((get(after) - get(before)) * 100).toFixed(2)} pt` : i === 7 && run ? latencyText(run) : ratio(get(before), get(after))) : '';
    const cells = [name, fmt(get(before)), after ? fmt(get(after)) : '–', delta];
    cells.forEach((c, j) => {
      const td = document.createElement(j === 0 ? 'th' : 'td');
      if (j === 0) td.setAttribute('scope', 'row');
      td.textContent = c;
      if (i === 0 && j === 1) td.id = 'dense-accuracy';
      if (i === 0 && j === 2) td.id = 'after-accuracy';
      tr.append(td);
    });
    body.append(tr);
  });
  const agree = after?.agreement;
  if (agree) {
    const extra: Array<[string, string]> = [
      [agree.binary ? 'same decision (single score)' : `top-${agree.k} agreement`, pct(agree.top5)],
      ['mean KL (original ‖ compressed)', agree.meanKl.toExponential(2)],
      ['max |Δ| of outputs', agree.maxAbsDiff.toPrecision(3)],
    ];
    for (const [name, value] of extra) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.setAttribute('scope', 'row');
      th.textContent = name;
      const cells = ['–', value, ''].map((c) => Object.assign(document.createElement('td'), { textContent: c }));
      tr.append(th, ...cells);
      body.append(tr);
    }
  }
  $('compare-h').textContent = run ? `Selected run #${run.id}: ${run.label}` : 'Original model';
  $('latency-note').textContent = run
    ? `Latency: ${run.latency.rounds} alternating rounds of the original and the compressed model (batch ${run.latency.batch}); the ratio is the median of the per-round ratios, with their smallest and largest: ${latencyText(run)}. Ratios near 1 mean no measurable change.`
    : '';
}

function renderAccuracyChart(): void {
  if (!ui.dense || !Number.isFinite(ui.dense.accuracy)) {
    svg('chart-accuracy').replaceChildren();
    $('chart-accuracy-desc').textContent = 'no data yet';
    return;
  }
  const series: Series[] = [{ name: 'original', color: '#24452c', points: [{ sparsity: 0, accuracy: ui.dense.accuracy, label: 'original' }], line: false }];
  for (const [id, pts] of ui.sweeps) series.push({ name: `${id}: one-shot, no fine-tuning`, color: COLORS[id], points: pts, line: true });
  const byMethod = new Map<MethodId, CurvePoint[]>();
  for (const r of ui.runs.filter((x) => x.model === ui.summary?.name)) {
    const pts = byMethod.get(r.method) ?? [];
    pts.push({ sparsity: 1 - r.after.nonZero / r.before.params, accuracy: r.after.accuracy, label: `#${r.id} ${r.label}` });
    byMethod.set(r.method, pts);
  }
  for (const [id, pts] of byMethod) series.push({ name: `${id}: fine-tuned runs`, color: COLORS[id], points: pts, line: false });
  $('chart-accuracy-desc').textContent = accuracyChart(svg('chart-accuracy'), series, metricName());
}

function renderRunCharts(run: Run | undefined): void {
  if (!run) {
    svg('chart-size').replaceChildren();
    $('chart-size-desc').textContent = 'no run selected';
  } else {
    $('chart-size-desc').textContent = beforeAfterChart(svg('chart-size'), [
      { label: 'file size', before: run.before.bytes, after: run.after.bytes, format: bytes },
      { label: 'gzipped', before: run.before.gzipBytes, after: run.after.gzipBytes, format: bytes },
      { label: 'latency', before: run.latency.beforeMs, after: run.latency.afterMs, format: ms },
      { label: 'non-zero', before: run.before.nonZero, after: run.after.nonZero, format: count },
    ]);
  }
  renderLayers(run?.layers ?? currentLayers);
}

let currentLayers: LayerRow[] = [];
function renderLayers(rows: LayerRow[]): void {
  $('chart-layers-desc').textContent = layerChart(svg('chart-layers'), rows, ui.denseLayers);
}

function selectedRun(): Run | undefined {
  return ui.runs.find((r) => r.id === ui.selected);
}

function renderResults(): void {
  const run = selectedRun();
  renderHistory(
    { table: $<HTMLTableElement>('history'), sizeChart: svg('chart-history-size'), latencyChart: svg('chart-history-latency'), sizeDesc: $('chart-history-size-desc'), latencyDesc: $('chart-history-latency-desc'), onPick: pickRun },
    ui.runs, ui.selected, ui.summary?.name,
  );
  renderCompare(run && run.model === ui.summary?.name ? run : run);
  renderAccuracyChart();
  renderRunCharts(run);
  const f = run?.format ?? ui.summary?.format;
  const formatName = f === 'layers-model' ? 'tfjs LayersModel (tf.loadLayersModel)' : f === 'graph-model' ? 'tfjs GraphModel (tf.loadGraphModel)' : "Bonsai's format (load it here again)";
  $('download').textContent = run ? `Download run #${run.id}` : 'Download the original';
  $('download-note').textContent = ui.summary ? `Downloads in the format the model came in: ${formatName}${run && run.quant !== 'float32' ? `, ${run.quant} weights` : ''}.` : '';
  const drawable = ui.summary?.drawable ?? false;
  $('pred-compressed-name').textContent = run ? `run #${run.id}` : 'compressed';
  $('draw-note').textContent = drawable
    ? run ? `Drawing against the original and run #${run.id} (${run.label}); pick another run in the history.` : 'Drawing against the original; run a compression (or pick a run) to compare.'
    : 'The drawing pad needs a model that takes 28x28x1 digits and gives 10 classes.';
}

function pickRun(id: number): void {
  ui.selected = id;
  send({ type: 'select', run: id });
  renderResults();
  predictDrawing();
}

function renderInspect(s: ModelSummary): void {
  const dl = $('inspect');
  dl.replaceChildren();
  const format = s.format === 'layers-model' ? 'tfjs LayersModel' : s.format === 'graph-model' ? 'tfjs GraphModel' : 'Bonsai model';
  const items: Array<[string, string]> = [
    ['model', s.name],
    ['format', `${format}${s.storedAs ? `, weights stored as ${s.storedAs}` : ''}`],
    ['input', `[${s.inputShape.join(', ')}]`],
    ['output', `[${s.outputShape.join(', ')}]`],
    ['params', count(s.params)],
    ['MACs', count(s.macs)],
    ['size', bytes(s.bytes)],
    ['ops', s.ops.map((o) => `${o.op} ×${o.count}`).join(', ')],
  ];
  for (const [k, v] of items) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dd.dataset.key = k;
    dl.append(dt, dd);
  }
}

function onMessage(msg: Response): void {
  switch (msg.type) {
    case 'ready': {
      const b = msg.backend;
      $('backend').textContent = `backend: ${b.name} · SIMD: ${b.simd ? 'on' : 'off'}`;
      $('backend').dataset.backend = b.name;
      $('threads').textContent = `threads: ${b.threads ? 'on' : 'off'}${b.threads ? '' : msg.isolated ? '' : ' (page not cross-origin isolated)'}`;
      $('threads').dataset.on = String(b.threads);
      ui.methods = msg.methods;
      ui.ready = true;
      renderMethods();
      preselect();
      setProgress(0.5, `ready: ${msg.trainCount} training and ${msg.testCount} test digits loaded; loading the pretrained model`);
      break;
    }
    case 'backendFailed':
      $('backend').textContent = 'backend: failed';
      $('threads').textContent = 'threads: –';
      $('backend').dataset.backend = 'failed';
      showAlert(`The WebAssembly backend could not start: ${msg.message}. Check the connection (the .wasm files must load) and retry.`, true);
      setProgress(0, 'the wasm backend did not start');
      ui.ready = false;
      setBusy(false);
      break;
    case 'progress':
      if (msg.loss !== undefined && msg.step !== undefined) {
        if (msg.task !== ui.lossTask || (ui.loss.length && msg.step < ui.loss[ui.loss.length - 1]!.step)) ui.loss = [];
        ui.lossTask = msg.task;
        ui.loss.push({ step: msg.step, loss: msg.loss });
        $('loss-caption').textContent = `Training loss (${msg.text.split(':')[0]})`;
        $('chart-loss-desc').textContent = lossChart(svg('chart-loss'), ui.loss, 'training loss');
      }
      setProgress(msg.fraction, msg.text);
      break;
    case 'model': {
      ui.summary = msg.summary;
      ui.data = msg.data;
      ui.dense = msg.metrics;
      ui.denseLayers = new Map(msg.layers.map((r) => [r.node, r.params]));
      currentLayers = msg.layers;
      ui.sweeps.clear();
      ui.selected = null;
      clearAlert();
      renderInspect(msg.summary);
      $('data-summary').textContent = msg.data.note;
      const m = msg.metrics;
      $('dense-summary-text').textContent = Number.isFinite(m.accuracy) ? `${msg.summary.name}: ${msg.data.labeled ? 'test accuracy' : 'agreement'} ${pct(m.accuracy)} · ${count(m.params)} params · ${bytes(m.bytes)}` : `${msg.summary.name}: pick images to measure it`;
      renderMethods();
      preselect();
      renderResults();
      setProgress(1, Number.isFinite(m.accuracy) ? 'model ready: pick a method and a ratio, then Run' : 'model inspected: pick images (its input size) to measure and compress it');
      document.body.dataset.model = msg.summary.source;
      setBusy(false);
      if (msg.summary.drawable) predictDrawing();
      else {
        pad.clear();
        clearPrediction();
      }
      break;
    }
    case 'data':
      break;
    case 'estimate':
      showEstimate(msg.estimate);
      break;
    case 'compressed': {
      ui.runs.push(msg.run);
      ui.selected = msg.run.id;
      if (msg.sweep.length) ui.sweeps.set(msg.run.method, msg.sweep);
      renderResults();
      setProgress(1, `run #${msg.run.id} done in ${msg.run.seconds < 1 ? msg.run.seconds.toFixed(2) : msg.run.seconds.toFixed(1)} s: ${msg.run.label} → ${pct(msg.run.after.accuracy)} ${msg.run.metric}${msg.run.detail ? ` · ${msg.run.detail}` : ''}`);
      document.body.dataset.compressed = msg.run.method;
      document.body.dataset.runs = String(ui.runs.length);
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
      drawn = msg.pixels;
      pad.paint(msg.pixels);
      showPreview(msg.pixels);
      $('sample-label').textContent = `test digit #${msg.index}: label ${msg.label}`;
      break;
    case 'exported':
      for (const f of msg.files) saveFile(f.name, new Blob([f.data], { type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
      setBusy(false);
      break;
    case 'bench':
      benchWaiter?.(msg);
      benchWaiter = undefined;
      break;
    case 'error':
      showAlert(`Error: ${msg.message}`);
      setProgress(0, 'stopped by an error (see the message above)');
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
  if (!drawn || !ui.summary?.drawable) return;
  send({ type: 'predict', pixels: drawn.slice() });
}

function clearPrediction(): void {
  drawn = undefined;
  showPreview(new Float32Array(784));
  probabilityChart(svg('probs-dense'), undefined);
  probabilityChart(svg('probs-compressed'), undefined);
  $('pred-dense').textContent = '–';
  $('pred-compressed').textContent = '–';
  $('sample-label').textContent = '';
}

$('pad-keys').textContent = PAD_KEYS;
const pad = attachPad($<HTMLCanvasElement>('pad'), {
  onStroke: () => {
    drawn = downsample($<HTMLCanvasElement>('pad'));
    showPreview(drawn);
    $('sample-label').textContent = '';
    predictDrawing();
  },
  onClear: clearPrediction,
  cursor: $('pad-cursor'),
  status: $('pad-status'),
});

/** Starts (or restarts, after a failure) the compute worker. */
function startWorker(): void {
  worker?.terminate();
  ui.ready = false;
  $('backend').textContent = 'backend: starting…';
  delete $('backend').dataset.backend;
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<Response>) => onMessage(e.data);
  worker.onerror = (e) => {
    showAlert(`The compute worker failed: ${e.message}`, true);
    setBusy(false);
  };
  setBusy(true);
  send({ type: 'init', assetBase: new URL('./', document.baseURI).href });
}

$('retry').addEventListener('click', () => {
  clearAlert();
  startWorker();
});
$('train').addEventListener('click', () => {
  clearAlert();
  setBusy(true);
  send({ type: 'train', epochs: Number($<HTMLSelectElement>('epochs').value), trainSize: Number($<HTMLSelectElement>('train-size').value) });
});
$('pretrained').addEventListener('click', () => {
  clearAlert();
  setBusy(true);
  send({ type: 'pretrained' });
});
function sendModelFiles(files: File[]): void {
  if (files.length === 0) return;
  clearAlert();
  setBusy(true);
  send({ type: 'loadFiles', files });
}
$<HTMLInputElement>('model-files').addEventListener('change', (e) => sendModelFiles([...((e.target as HTMLInputElement).files ?? [])]));
/** Makes `zone` accept drops (while the worker is ready and idle), handing the DataTransfer to `onDrop`. */
function dropZone(zone: HTMLElement, onDrop: (transfer: DataTransfer) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.dataset.over = 'true';
  });
  zone.addEventListener('dragleave', () => {
    zone.dataset.over = 'false';
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.dataset.over = 'false';
    if (!ui.busy && ui.ready && e.dataTransfer) onDrop(e.dataTransfer);
  });
}
dropZone($('model-drop'), (t) => sendModelFiles([...t.files]));
function sendImages(picked: readonly PathedFile[]): void {
  if (picked.length === 0) return;
  clearAlert();
  setBusy(true);
  send({ type: 'images', files: picked.map((p) => p.file), paths: picked.map((p) => p.path), preprocess: $<HTMLSelectElement>('preprocess').value });
}
dropZone($('image-drop'), (t) => {
  setBusy(true);
  droppedFiles(t).then((picked) => {
    if (picked.length === 0) setBusy(false);
    else sendImages(picked);
  }, (e: unknown) => {
    setBusy(false);
    showAlert(`The dropped files could not be read: ${e instanceof Error ? e.message : String(e)}`);
  });
});
$<HTMLInputElement>('image-folder').addEventListener('change', (e) => sendImages(pickedFiles(e.target as HTMLInputElement)));
$<HTMLInputElement>('image-files').addEventListener('change', (e) => sendImages(pickedFiles(e.target as HTMLInputElement)));
const ratioInput = $<HTMLInputElement>('ratio');
ratioInput.addEventListener('input', () => {
  $('ratio-value').textContent = pct(Number(ratioInput.value), 0);
  requestEstimate();
});
$('quant').addEventListener('change', requestEstimate);
$('run').addEventListener('click', () => {
  if (ui.busy) return;
  clearAlert();
  setBusy(true);
  setProgress(0, 'starting…');
  send({ type: 'compress', method: ui.method, ratio: Number(ratioInput.value), quant: $<HTMLSelectElement>('quant').value as WeightQuant, kd: $<HTMLInputElement>('kd').checked });
});
$('download').addEventListener('click', () => {
  setBusy(true);
  send({ type: 'export', run: ui.selected });
});
$('clear').addEventListener('click', () => {
  pad.clear();
  clearPrediction();
});
$('sample').addEventListener('click', () => {
  send({ type: 'sample', index: ui.sampleIndex++ });
});

let frames = 0;
const beat = (): void => {
  frames++;
  if (frames % 10 === 0) $('heartbeat').textContent = `page frames: ${frames} (the page stays responsive while the worker computes)`;
  requestAnimationFrame(beat);
};
requestAnimationFrame(beat);

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
let lastWidth = 0;
new ResizeObserver((entries) => {
  const width = Math.round(entries[0]?.contentRect.width ?? 0);
  if (width === lastWidth) return;
  lastWidth = width;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    renderResults();
    if (ui.loss.length) lossChart(svg('chart-loss'), ui.loss, 'training loss');
  }, 100);
}).observe(document.querySelector('main')!);

/** Bench hook (`?bench` in the URL, used by bench/threads.ts): times the current model in the worker. */
let benchWaiter: ((r: { samples: number[]; threads: boolean }) => void) | undefined;
if (new URLSearchParams(location.search).has('bench')) {
  (window as unknown as { bonsaiBench: (runs: number, batch: number) => Promise<{ samples: number[]; threads: boolean }> }).bonsaiBench = (runs, batch) =>
    new Promise((ok) => {
      benchWaiter = ok;
      send({ type: 'bench', runs, batch });
    });
}

clearPrediction();
startWorker();
