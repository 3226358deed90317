// Paints one frame's token grid over its thumbnail. The grid is filled as an RGBA bitmap of gridW x gridH pixels and
// scaled up without smoothing: two draw calls per frame, cheap enough for 1000+ frames.
import { PRUNED, READ_ALL, RETRIEVED } from './tokenMap.ts';

export const COLORS = {
  pruned: [10, 12, 18, 205] as const,
  retained: [86, 156, 255, 70] as const,
  retrieved: [255, 178, 36, 200] as const,
  /** Read at every layer (no retrieval): the retrieved hue, light enough to see the frame through it. */
  readAll: [255, 178, 36, 80] as const,
};

export function rgba(c: readonly [number, number, number, number]): string {
  return `rgba(${c[0]},${c[1]},${c[2]},${(c[3] / 255).toFixed(2)})`;
}

/** Inferno-like ramp for saliency (t in [0,1]). */
export function heat(t: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [0, 0, 4],
    [87, 16, 110],
    [188, 55, 84],
    [249, 142, 9],
    [252, 255, 164],
  ];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export interface OverlayInput {
  mode: 'tokens' | 'saliency';
  gridH: number;
  gridW: number;
  /** Offset of this frame's first token in the per-token arrays. */
  offset: number;
  cls: Uint8Array;
  /** Layers that retrieved each token, and the layer count (union view shading); null for a single layer. */
  depth: Uint16Array | null;
  layers: number;
  saliency: Float32Array | null;
}

let scratch: HTMLCanvasElement | null = null;
let scratchData: ImageData | null = null;

export function drawFrame(ctx: CanvasRenderingContext2D, w: number, h: number, img: HTMLImageElement | null, o: OverlayInput): void {
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#1b1f29';
  ctx.fillRect(0, 0, w, h);
  if (img && img.complete && img.naturalWidth > 0) ctx.drawImage(img, 0, 0, w, h);

  const n = o.gridH * o.gridW;
  scratch ??= document.createElement('canvas');
  if (scratch.width !== o.gridW || scratch.height !== o.gridH) {
    scratch.width = o.gridW;
    scratch.height = o.gridH;
    scratchData = null;
  }
  const sctx = scratch.getContext('2d')!;
  scratchData ??= sctx.createImageData(o.gridW, o.gridH);
  const data = scratchData;
  const px = data.data;
  for (let i = 0; i < n; i++) {
    const v = o.offset + i;
    const k = i * 4;
    if (o.mode === 'saliency' && o.saliency) {
      const [r, g, b] = heat(o.saliency[v] ?? 0);
      px[k] = r;
      px[k + 1] = g;
      px[k + 2] = b;
      px[k + 3] = o.cls[v] === PRUNED ? 235 : 150;
      continue;
    }
    const c = o.cls[v] === PRUNED ? COLORS.pruned : o.cls[v] === RETRIEVED ? COLORS.retrieved : o.cls[v] === READ_ALL ? COLORS.readAll : COLORS.retained;
    px[k] = c[0];
    px[k + 1] = c[1];
    px[k + 2] = c[2];
    px[k + 3] = c[3];
    if (o.cls[v] === RETRIEVED && o.depth && o.layers > 0) {
      px[k + 3] = Math.round(70 + 170 * Math.min(1, o.depth[v] / o.layers));
    }
  }
  sctx.putImageData(data, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, w, h);

  // Faint cell borders where cells are big enough to read.
  const cw = w / o.gridW;
  const ch = h / o.gridH;
  if (cw >= 7 && ch >= 7) {
    ctx.strokeStyle = 'rgba(255,255,255,0.07)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let c = 1; c < o.gridW; c++) {
      const x = Math.round(c * cw) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, h);
    }
    for (let r = 1; r < o.gridH; r++) {
      const y = Math.round(r * ch) + 0.5;
      ctx.moveTo(0, y);
      ctx.lineTo(w, y);
    }
    ctx.stroke();
  }
}

const images = new Map<string, HTMLImageElement>();

/** Shared thumbnail cache; `onLoad` fires once the image can be drawn. */
export function loadImage(url: string, onLoad: () => void): HTMLImageElement {
  let img = images.get(url);
  if (!img) {
    img = new Image();
    img.decoding = 'async';
    img.src = url;
    images.set(url, img);
  }
  if (!img.complete) img.addEventListener('load', onLoad, { once: true });
  return img;
}
