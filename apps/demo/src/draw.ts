/** The drawing pad: a 280x280 canvas downsampled MNIST-style to 28x28 floats in [0, 1]. */

/** Keyboard help of the pad (also its accessible description). */
export const PAD_KEYS = 'Arrow keys move the pen (Shift: faster), Space lifts or lowers it, Enter predicts, Escape clears.';

/** Options of {@link attachPad}. */
export interface PadOptions {
  /** Called after each stroke ends (pointer up, or Enter on the keyboard). */
  onStroke(): void;
  /** Called when Escape clears the pad. */
  onClear(): void;
  /** Shows where the keyboard pen is (an element laid over the canvas). */
  cursor?: HTMLElement;
  /** Announces the pen state to screen readers. */
  status?: HTMLElement;
}

/**
 * Attaches pointer and keyboard drawing to `canvas` (which should be focusable: tabindex 0).
 * Keyboard: see {@link PAD_KEYS}; a lowered pen inks as it moves.
 */
export function attachPad(canvas: HTMLCanvasElement, options: PadOptions): { clear(): void; paint(pixels: Float32Array): void } {
  const { onStroke } = options;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  const ink = (a: { x: number; y: number }, b: { x: number; y: number }): void => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  };
  let last: { x: number; y: number } | undefined;
  const pos = (e: PointerEvent): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * canvas.width, y: ((e.clientY - r.top) / r.height) * canvas.height };
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = pos(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = pos(e);
    ink(last, p);
    last = p;
  });
  const end = (): void => {
    if (!last) return;
    last = undefined;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  const pen = { x: canvas.width / 2, y: canvas.height / 4, down: false, inked: false };
  const showPen = (): void => {
    const c = options.cursor;
    if (c) {
      c.style.left = `${(pen.x / canvas.width) * 100}%`;
      c.style.top = `${(pen.y / canvas.height) * 100}%`;
      c.dataset.down = String(pen.down);
    }
    if (options.status) options.status.textContent = `pen ${pen.down ? 'down (inking)' : 'up'} at ${Math.round((pen.x / canvas.width) * 100)}% across, ${Math.round((pen.y / canvas.height) * 100)}% down`;
  };
  canvas.addEventListener('focus', showPen);
  canvas.addEventListener('keydown', (e) => {
    const step = (canvas.width / 20) * (e.shiftKey ? 3 : 1);
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const mv = moves[e.key];
    if (mv) {
      e.preventDefault();
      const from = { x: pen.x, y: pen.y };
      pen.x = Math.min(canvas.width - 1, Math.max(0, pen.x + mv[0]));
      pen.y = Math.min(canvas.height - 1, Math.max(0, pen.y + mv[1]));
      if (pen.down) {
        ink(from, pen);
        pen.inked = true;
      }
    } else if (e.key === ' ') {
      e.preventDefault();
      pen.down = !pen.down;
      if (pen.down) {
        ink(pen, pen);
        pen.inked = true;
      }
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (pen.inked) onStroke();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      clear();
      pen.inked = false;
      options.onClear();
    } else {
      return;
    }
    showPen();
  });
  const paint = (pixels: Float32Array): void => {
    const small = document.createElement('canvas');
    small.width = 28;
    small.height = 28;
    const sctx = small.getContext('2d')!;
    const img = sctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round((pixels[i] ?? 0) * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    sctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  };
  return { clear, paint };
}

/**
 * MNIST-style preprocessing: crop the ink's bounding box, scale it to fit 20x20 keeping the aspect
 * ratio, and centre it by its centre of mass in a 28x28 frame. Returns 784 floats in [0, 1].
 */
export function downsample(canvas: HTMLCanvasElement): Float32Array {
  const { width: W, height: H } = canvas;
  const src = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if ((src[(y * W + x) * 4] ?? 0) > 20) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const out = new Float32Array(784);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  const mid = document.createElement('canvas');
  mid.width = 28;
  mid.height = 28;
  const mctx = mid.getContext('2d', { willReadFrequently: true })!;
  mctx.fillStyle = '#000';
  mctx.fillRect(0, 0, 28, 28);
  mctx.imageSmoothingEnabled = true;
  mctx.imageSmoothingQuality = 'high';
  mctx.drawImage(canvas, x0, y0, bw, bh, 0, 0, tw, th);
  const small = mctx.getImageData(0, 0, tw, th).data;
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = (small[(y * tw + x) * 4] ?? 0) / 255;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const ox = Math.round(14 - (mass ? cx / mass : tw / 2));
  const oy = Math.round(14 - (mass ? cy / mass : th / 2));
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const tx = x + ox, ty = y + oy;
      if (tx < 0 || tx >= 28 || ty < 0 || ty >= 28) continue;
      out[ty * 28 + tx] = (small[(y * tw + x) * 4] ?? 0) / 255;
    }
  }
  return out;
}
