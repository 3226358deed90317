// The 8-bit (W8A8) SigLIP tower, made at load from the 16-bit one: every encoder linear (q, k, v, out_proj, fc1, fc2)
// becomes an int8 weight per output channel (Backend.weightI8; the activations are quantized per token on each call),
// and the linears fed by a LayerNorm (q/k/v after layer_norm1, fc1 after layer_norm2) are smoothed first
// (quantize/smooth-quant.ts) with per-channel activation maxima from calibration frames run through the 16-bit tower.
// out_proj and fc2 take the attention output and the GELU output, which no norm precedes: they are quantized as they
// are. The patch embedding, the position embeddings and the projector stay 16-bit.
import type { Backend, Tensor } from '../backend/backend.ts';
import { quantizeWeightI8 } from '../quantize/int8.ts';
import { accumulateAbsMax, divide, scaleColumns, smoothingFactors } from '../quantize/smooth-quant.ts';
import { syntheticPixels } from '../quantize/synthetic-frames.ts';
import { LLAVA_ONEVISION_PREPROCESS, loadPreprocessConfig } from '../video/preprocess-config.ts';
import type { SiglipLayer, SiglipVisionTower } from './siglip.ts';

export type VisionPrecision = '16bit' | '8bit';
export const VISION_PRECISIONS: readonly VisionPrecision[] = ['16bit', '8bit'];
/** SmoothQuant's migration strength (the paper's default for most models). */
export const DEFAULT_SMOOTH_ALPHA = 0.5;

export interface Vision8Options {
  /** Preprocessed calibration frames [frames, C, S, S]. */
  pixels: Float32Array;
  frames: number;
  /** SmoothQuant α; null: no smoothing (int8 weights of the linears as they are). */
  alpha: number | null;
}

/** Default calibration: frames of the synthetic shapes world, scenes not in any evaluation set's seeds. */
export const CALIBRATION_SEEDS = [1_000_001, 1_000_002];
export const CALIBRATION_FRAMES_PER_SCENE = 2;

/** The default calibration frames, preprocessed as the model folder says (synthetic presets: SigLIP's defaults). */
export function defaultVisionCalibration(dir: string | null, imageSize: number): { pixels: Float32Array; frames: number } {
  const pre = dir ? loadPreprocessConfig(dir) : { ...LLAVA_ONEVISION_PREPROCESS, width: imageSize, height: imageSize };
  return syntheticPixels(CALIBRATION_SEEDS, CALIBRATION_FRAMES_PER_SCENE, pre);
}

/** Per encoder layer, the per-channel max |x| of layer_norm1's and layer_norm2's outputs. */
export interface SiglipNormMaxima {
  ln1: Float32Array;
  ln2: Float32Array;
}

/** Runs the calibration frames through `tower` and records each layer's norm output maxima. */
export function calibrateSiglip(be: Backend, tower: SiglipVisionTower, pixels: Float32Array, frames: number): SiglipNormMaxima[] {
  const layers = tower.layerWeights.length, H = tower.cfg.hiddenSize;
  const stats = Array.from({ length: layers }, () => ({ ln1: new Float32Array(H), ln2: new Float32Array(H) }));
  const outs = tower.forwardFrames(pixels, frames, [layers], {
    onNormed: (layer, norm, x) => accumulateAbsMax(stats[layer][norm], be.toHost(x), x.shape[0]),
  });
  for (const o of outs) be.dispose(o);
  return stats;
}

/** The tower with 8-bit encoder linears (the 16-bit layer weights it replaces are freed). */
export function quantizeSiglipTower(be: Backend, tower: SiglipVisionTower, opts: Vision8Options): SiglipVisionTower {
  // Fail before the calibration pass where the backend has no int8 GEMMs (CUDA, for now).
  be.dispose(be.weightI8(quantizeWeightI8(new Float32Array(1), 1, 1)));
  const stats = opts.alpha === null ? null : calibrateSiglip(be, tower, opts.pixels, opts.frames);
  const host = (t: Tensor) => be.toHost(t);
  const f32 = (v: Float32Array) => be.weight({ dtype: 'f32', shape: [v.length], bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
  const i8 = (w: Tensor, s: Float32Array | null) => {
    const [out, inF] = w.shape;
    const v = host(w);
    return be.weightI8(quantizeWeightI8(s ? scaleColumns(v, s) : v, out, inF));
  };
  const layers = tower.layerWeights.map((L, i): SiglipLayer => {
    const s1 = stats ? smoothingFactors(stats[i].ln1, [host(L.attn.q.w), host(L.attn.k.w), host(L.attn.v.w)], opts.alpha!) : null;
    const s2 = stats ? smoothingFactors(stats[i].ln2, [host(L.fc1.w)], opts.alpha!) : null;
    const norm = (n: SiglipLayer['ln1'], s: Float32Array | null) => (s ? { w: f32(divide(host(n.w), s)), b: f32(divide(host(n.b), s)) } : n);
    const q: SiglipLayer = {
      ln1: norm(L.ln1, s1),
      attn: {
        q: { w: i8(L.attn.q.w, s1), b: L.attn.q.b }, k: { w: i8(L.attn.k.w, s1), b: L.attn.k.b },
        v: { w: i8(L.attn.v.w, s1), b: L.attn.v.b }, o: { w: i8(L.attn.o.w, null), b: L.attn.o.b },
      },
      ln2: norm(L.ln2, s2),
      fc1: { w: i8(L.fc1.w, s2), b: L.fc1.b },
      fc2: { w: i8(L.fc2.w, null), b: L.fc2.b },
    };
    for (const t of [L.attn.q.w, L.attn.k.w, L.attn.v.w, L.attn.o.w, L.fc1.w, L.fc2.w]) be.dispose(t);
    if (s1) for (const t of [L.ln1.w, L.ln1.b]) be.dispose(t);
    if (s2) for (const t of [L.ln2.w, L.ln2.b]) be.dispose(t);
    return q;
  });
  return tower.withLayers(layers);
}
