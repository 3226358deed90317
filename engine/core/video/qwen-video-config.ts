// The video processor settings of a Qwen2.5-VL / Qwen3-VL checkpoint (video_preprocessor_config.json, else
// preprocessor_config.json, as transformers 5.17 loads them), with the processor classes' defaults for absent keys.
// Qwen2.5-VL checkpoints are served by HF's Qwen2VLVideoProcessor, Qwen3-VL ones by Qwen3VLVideoProcessor.
import { VideoError } from './errors.ts';
import { parsePixelSettings, type PixelSettings, type Rgb } from './pixel-settings.ts';

export type QwenFamily = 'qwen2.5-vl' | 'qwen3-vl';

export interface QwenVideoConfig extends PixelSettings {
  family: QwenFamily;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
  /**
   * HF's size.shortest_edge / size.longest_edge (min_pixels / max_pixels in older files): Qwen2.5-VL bounds each
   * frame's pixels, Qwen3-VL the whole sampled video's (frames x height x width).
   */
  minPixels: number;
  maxPixels: number;
  /** Frames per second to sample (HF's fps; Qwen2VLVideoProcessor has none by default: qwen-vl-utils' 2 then). */
  fps: number;
  minFrames: number;
  maxFrames: number;
}

const CLIP_MEAN: Rgb = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: Rgb = [0.26862954, 0.26130258, 0.27577711];

/** The processor classes' own defaults (transformers 5.17). */
const CLASS_DEFAULTS: Record<QwenFamily, Omit<QwenVideoConfig, 'family' | 'resample' | 'rescaleFactor' | 'doRescale' | 'doNormalize'>> = {
  'qwen2.5-vl': {
    patchSize: 14, temporalPatchSize: 2, mergeSize: 2, minPixels: 128 * 28 * 28, maxPixels: 28 * 28 * 768,
    mean: CLIP_MEAN, std: CLIP_STD, fps: 2, minFrames: 4, maxFrames: 768,
  },
  'qwen3-vl': {
    patchSize: 16, temporalPatchSize: 2, mergeSize: 2, minPixels: 128 * 32 * 32, maxPixels: 32 * 32 * 768,
    mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], fps: 2, minFrames: 4, maxFrames: 768,
  },
};

/** config.json's model_type -> the family, or null for other models. */
export function qwenFamilyOf(modelType: unknown): QwenFamily | null {
  if (modelType === 'qwen2_5_vl') return 'qwen2.5-vl';
  if (modelType === 'qwen3_vl') return 'qwen3-vl';
  return null;
}

/** The family a processor file names (video_processor_type / processor_class), or null when it names neither. */
export function qwenFamilyOfProcessor(json: Record<string, unknown>): QwenFamily | null {
  const names = [json.video_processor_type, json.processor_class].filter((v): v is string => typeof v === 'string');
  if (names.some((n) => n.startsWith('Qwen3VL'))) return 'qwen3-vl';
  if (names.some((n) => n.startsWith('Qwen2_5_VL') || n.startsWith('Qwen2VL'))) return 'qwen2.5-vl';
  return null;
}

export function parseQwenVideoConfig(json: Record<string, unknown>, family: QwenFamily, source = 'video processor config'): QwenVideoConfig {
  const bad = (msg: string) => new VideoError('BAD_PREPROCESSOR_CONFIG', `${source}: ${msg}`);
  const d = CLASS_DEFAULTS[family];
  const int = (key: string, fallback: number, min = 1): number => {
    const v = json[key] ?? fallback;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw bad(`${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  // Qwen2VLVideoProcessor's constructor lets min_pixels / max_pixels override size (backward compatibility);
  // Qwen3VLVideoProcessor reads size only.
  const size = (json.size ?? {}) as Record<string, unknown>;
  if (typeof size !== 'object' || Array.isArray(size)) throw bad('size must be an object');
  const legacy = family === 'qwen2.5-vl';
  const sized = (key: string, legacyKey: string, fallback: number) => {
    const v = (legacy ? json[legacyKey] : undefined) ?? size[key] ?? fallback;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw bad(`size.${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const minPixels = sized('shortest_edge', 'min_pixels', d.minPixels);
  const maxPixels = sized('longest_edge', 'max_pixels', d.maxPixels);
  if (minPixels > maxPixels) throw bad(`the pixel budget's minimum ${minPixels} exceeds its maximum ${maxPixels}`);
  const pixels = parsePixelSettings(json, bad, d);
  const fps = json.fps ?? d.fps;
  if (!(typeof fps === 'number' && fps > 0 && Number.isFinite(fps))) throw bad(`fps must be a positive number, got ${JSON.stringify(fps)}`);
  const cfg: QwenVideoConfig = {
    family,
    patchSize: int('patch_size', d.patchSize),
    temporalPatchSize: int('temporal_patch_size', d.temporalPatchSize),
    mergeSize: int('merge_size', d.mergeSize),
    minPixels,
    maxPixels,
    ...pixels,
    fps,
    minFrames: int('min_frames', d.minFrames),
    maxFrames: int('max_frames', d.maxFrames),
  };
  if (cfg.minFrames > cfg.maxFrames) throw bad(`min_frames ${cfg.minFrames} exceeds max_frames ${cfg.maxFrames}`);
  return cfg;
}

/** The app's sampling settings applied over the checkpoint's: as if the processor had been built with them. */
export interface QwenSamplingOverrides {
  fps?: number;
  maxFrames?: number;
  /** size.longest_edge: per frame for Qwen2.5-VL, for the whole video for Qwen3-VL. */
  maxPixels?: number;
}

export function withQwenOverrides(cfg: QwenVideoConfig, o: QwenSamplingOverrides): QwenVideoConfig {
  const out = { ...cfg };
  if (o.fps !== undefined) {
    if (!(o.fps > 0 && Number.isFinite(o.fps))) throw new VideoError('BAD_OPTIONS', `sampling fps must be a positive number, got ${o.fps}`);
    out.fps = o.fps;
  }
  if (o.maxFrames !== undefined) {
    if (!(Number.isInteger(o.maxFrames) && o.maxFrames >= 1)) throw new VideoError('BAD_OPTIONS', `max frames must be a positive integer, got ${o.maxFrames}`);
    out.maxFrames = o.maxFrames;
    out.minFrames = Math.min(out.minFrames, o.maxFrames);
  }
  if (o.maxPixels !== undefined) {
    if (!(Number.isInteger(o.maxPixels) && o.maxPixels >= cfg.minPixels)) {
      throw new VideoError('BAD_OPTIONS', `max pixels must be an integer of at least the model's minimum ${cfg.minPixels}, got ${o.maxPixels}`);
    }
    out.maxPixels = o.maxPixels;
  }
  return out;
}

/** Stable text identifying the preprocessing, for cache keys. */
export function qwenVideoKey(c: QwenVideoConfig): string {
  return JSON.stringify(['qwen', c.family, c.patchSize, c.temporalPatchSize, c.mergeSize, c.minPixels, c.maxPixels, c.resample,
    c.rescaleFactor, c.doRescale, c.doNormalize, c.mean, c.std, c.fps, c.minFrames, c.maxFrames]);
}
