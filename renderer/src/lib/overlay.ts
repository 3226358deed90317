// Paints one frame's token grid over its thumbnail. The neutral dimming is an RGBA bitmap of gridW x gridH pixels scaled
// up without smoothing (one draw call), then read tokens get an outline each: cheap enough for 1000+ frames.
import { PRUNED, READ_ALL, RETRIEVED } from './tokenMap.ts';

// The token view never changes the colour of what it marks (the questions may be about colours): tokens the model did
// not read are dimmed with neutral black, and read tokens are left as they are, outlined in amber where cells are big
// enough to draw a line.
export const COLORS = {
  /** Neutral dimming (black at this alpha) of pruned tokens and of kept tokens not read this turn. */
  pruned: [0, 0, 0, 215] as const,
  retained: [0, 0, 0, 120] as const,
  /** The outline of a retrieved token (never a fill). */
  retrieved: [255, 178, 36, 230] as const,
};

/** What is drawn over one token: a neutral dim (black alpha 0-255) and an amber outline's alpha (0 = none). */
export interface CellPaint {
  dim: number;
  outline: number;
}

export function cellPaint(o: Pick<OverlayInput, 'cls' | 'depth' | 'layers'>, v: number): CellPaint {
  const c = o.cls[v];
  if (c === PRUNED) return { dim: COLORS.pruned[3], outline: 0 };
  if (c === READ_ALL) return { dim: 0, outline: 0 };
  if (c !== RETRIEVED) return { dim: COLORS.retained[3], outline: 0 };
  // Any-layer view: read at fewer layers is a little dimmer (brighter = more layers), still without a hue.
  const share = o.depth && o.layers > 0 ? Math.min(1, o.depth[v] / o.layers) : 1;
  return { dim: Math.round(70 * (1 - share)), outline: Math.round(120 + 110 * share) };
}

export function rgba(c: readonly [number, number, number, number]): string {
  return `rgba(${c[0]},${c[1]},${c[2]},${(c[3] / 255).toFixed(2)})`;
}

/** A legend swatch as the overlay draws a class over a mid-grey "frame": its dimming and its outline. */
export function swatchStyle(p: CellPaint): { background: string; boxShadow?: string } {
  const [r, g, b, a] = COLORS.retrieved;
  return {
    background: `linear-gradient(rgba(0,0,0,${(p.dim / 255).toFixed(2)}), rgba(0,0,0,${(p.dim / 255).toFixed(2)})), #9aa3b5`,
    ...(p.outline > 0 ? { boxShadow: `inset 0 0 0 2px rgba(${r},${g},${b},${(a / 255).toFixed(2)})` } : {}),
  };
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
    const { dim } = cellPaint(o, v);
    px[k] = 0;
    px[k + 1] = 0;
    px[k + 2] = 0;
    px[k + 3] = dim;
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
  if (o.mode === 'tokens') outlineRead(ctx, o, cw, ch);
}

/** Amber outlines around read tokens (inset so neighbours' lines do not merge); skipped where cells are too small. */
function outlineRead(ctx: CanvasRenderingContext2D, o: OverlayInput, cw: number, ch: number): void {
  if (cw < 4 || ch < 4) return;
  const [r, g, b] = COLORS.retrieved;
  const line = cw >= 12 && ch >= 12 ? 2 : 1;
  ctx.lineWidth = line;
  for (let i = 0; i < o.gridH * o.gridW; i++) {
    const { outline } = cellPaint(o, o.offset + i);
    if (outline === 0) continue;
    ctx.strokeStyle = `rgba(${r},${g},${b},${(outline / 255).toFixed(2)})`;
    const x = (i % o.gridW) * cw, y = Math.floor(i / o.gridW) * ch;
    ctx.strokeRect(x + line / 2 + 0.5, y + line / 2 + 0.5, cw - line - 1, ch - line - 1);
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
