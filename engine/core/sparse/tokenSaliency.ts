// Token saliency: the patch saliency map pooled exactly the way LLaVA-OneVision pools video features
// (bilinear to ceil(h/2) x ceil(w/2), align_corners=false, no antialias: torch.nn.functional.interpolate), so each
// LLM visual token gets one score. Bilinear pooling is linear, so pooling the scores equals scoring the pooled tokens'
// receptive weights.

export interface Grid {
  h: number;
  w: number;
}

/** The pooled grid LLaVA-OneVision uses for video frames. */
export function pooledGrid(h: number, w: number): Grid {
  return { h: Math.ceil(h / 2), w: Math.ceil(w / 2) };
}

// torch's area_pixel_compute_source_index for align_corners=false (linear modes clamp negatives to 0).
function sourceIndex(scale: number, dst: number): number {
  const src = scale * (dst + 0.5) - 0.5;
  return src < 0 ? 0 : src;
}

/** Bilinear resize of F single-channel h×w maps (row-major, frame after frame) to oh×ow. */
export function bilinearResizeMaps(values: ArrayLike<number>, frames: number, h: number, w: number,
  oh: number, ow: number): Float32Array {
  for (const [name, v] of [['frames', frames], ['h', h], ['w', w], ['oh', oh], ['ow', ow]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`bilinearResizeMaps: ${name} must be a positive integer, got ${v}`);
  }
  if (values.length !== frames * h * w) {
    throw new Error(`bilinearResizeMaps: expected ${frames}x${h}x${w} = ${frames * h * w} values, got ${values.length}`);
  }
  const out = new Float32Array(frames * oh * ow);
  const sh = h / oh;
  const sw = w / ow;
  for (let f = 0; f < frames; f++) {
    const base = f * h * w;
    for (let y = 0; y < oh; y++) {
      const sy = sourceIndex(sh, y);
      const y0 = Math.floor(sy);
      const y1 = y0 < h - 1 ? y0 + 1 : y0;
      const ly = sy - y0;
      for (let x = 0; x < ow; x++) {
        const sx = sourceIndex(sw, x);
        const x0 = Math.floor(sx);
        const x1 = x0 < w - 1 ? x0 + 1 : x0;
        const lx = sx - x0;
        const top = (1 - lx) * values[base + y0 * w + x0] + lx * values[base + y0 * w + x1];
        const bottom = (1 - lx) * values[base + y1 * w + x0] + lx * values[base + y1 * w + x1];
        out[f * oh * ow + y * ow + x] = (1 - ly) * top + ly * bottom;
      }
    }
  }
  return out;
}

/** Patch saliency [F, h*w] -> token saliency [F * ceil(h/2) * ceil(w/2)] (the pooled video tokens, frame-major). */
export function tokenSaliencyFromPatches(patchSaliency: ArrayLike<number>, frames: number, h: number, w: number): Float32Array {
  const g = pooledGrid(h, w);
  return bilinearResizeMaps(patchSaliency, frames, h, w, g.h, g.w);
}
