// Decoded RGB frame -> the vision tower's input: resize as the HF processor does, then rescale + normalize into
// planar float32 (CHW), written straight into the [F, 3, H, W] pixel_values buffer.
import type { PreprocessConfig } from './preprocess-config.ts';
import { resizeRgb } from './resize.ts';

/** Size after the shortest-edge resize, before the center crop (HF's get_resize_output_image_size). */
function shortestEdgeSize(w: number, h: number, edge: number): [number, number] {
  return w <= h ? [edge, Math.trunc((edge * h) / w)] : [Math.trunc((edge * w) / h), edge];
}

/** Resizes (and crops) one packed RGB frame to the model's input size, staying in 8 bits. */
export function resizeForModel(rgb: Uint8Array, w: number, h: number, cfg: PreprocessConfig): Uint8Array {
  if (cfg.shortestEdge === null) return resizeRgb(rgb, w, h, cfg.width, cfg.height, cfg.resample);
  const [rw, rh] = shortestEdgeSize(w, h, cfg.shortestEdge);
  const resized = resizeRgb(rgb, w, h, rw, rh, cfg.resample);
  if (rw === cfg.width && rh === cfg.height) return resized;
  const top = Math.trunc((rh - cfg.height) / 2);
  const left = Math.trunc((rw - cfg.width) / 2);
  const out = new Uint8Array(cfg.width * cfg.height * 3);
  for (let y = 0; y < cfg.height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= rh) continue;
    for (let x = 0; x < cfg.width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= rw) continue;
      const s = (sy * rw + sx) * 3;
      const d = (y * cfg.width + x) * 3;
      out[d] = resized[s];
      out[d + 1] = resized[s + 1];
      out[d + 2] = resized[s + 2];
    }
  }
  return out;
}

/** Writes a model-sized packed RGB frame as normalized planar floats at `out[offset ...]`. */
export function normalizeInto(rgb: Uint8Array, cfg: PreprocessConfig, out: Float32Array, offset: number): void {
  const plane = cfg.width * cfg.height;
  if (rgb.length !== plane * 3) throw new Error(`normalizeInto: expected ${plane * 3} bytes, got ${rgb.length}`);
  for (let c = 0; c < 3; c++) {
    // HF fuses rescale and normalize: (x - mean / factor) / (std / factor).
    const scale = cfg.doRescale ? cfg.rescaleFactor : 1;
    const mean = cfg.doNormalize ? cfg.mean[c] : 0;
    const std = cfg.doNormalize ? cfg.std[c] : 1;
    const a = scale / std;
    const b = -mean / std;
    const dst = offset + c * plane;
    for (let i = 0, p = c; i < plane; i++, p += 3) out[dst + i] = rgb[p] * a + b;
  }
}

/** Resize + rescale + normalize N packed RGB frames of one size into pixel_values [N, 3, H, W]. */
export function preprocessFrames(frames: Uint8Array[], w: number, h: number, cfg: PreprocessConfig): Float32Array {
  const per = 3 * cfg.width * cfg.height;
  const out = new Float32Array(frames.length * per);
  frames.forEach((f, i) => normalizeInto(resizeForModel(f, w, h, cfg), cfg, out, i * per));
  return out;
}
