// The model's image-processor settings (preprocessor_config.json / video_preprocessor_config.json of an HF
// checkpoint), reduced to what frame preprocessing needs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VideoError } from './errors.ts';
import { parseQwenVideoConfig, qwenFamilyOf, qwenFamilyOfProcessor, qwenVideoKey, type QwenFamily, type QwenVideoConfig } from './qwen-video-config.ts';
import { parsePixelSettings, type PixelSettings } from './pixel-settings.ts';

export interface PreprocessConfig extends PixelSettings {
  /** Output frame size fed to the vision tower. */
  width: number;
  height: number;
  /** When set, resize the shortest edge to this (keeping aspect) and center-crop to width x height (CLIP style). */
  shortestEdge: number | null;
}

/** LLaVA-OneVision / LLaVA-Video (SigLIP 384) as published in llava-hf checkpoints. */
export const LLAVA_ONEVISION_PREPROCESS: PreprocessConfig = {
  width: 384,
  height: 384,
  shortestEdge: null,
  resample: 'bicubic',
  rescaleFactor: 1 / 255,
  doRescale: true,
  doNormalize: true,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};

export function parsePreprocessConfig(json: Record<string, unknown>, source = 'preprocessor config'): PreprocessConfig {
  const bad = (msg: string) => new VideoError('BAD_PREPROCESSOR_CONFIG', `${source}: ${msg}`);
  const size = (json.size ?? {}) as Record<string, number>;
  const crop = (json.crop_size ?? null) as Record<string, number> | null;
  let width: number;
  let height: number;
  let shortestEdge: number | null = null;
  if (typeof json.size === 'number') {
    width = height = json.size;
  } else if (size.height && size.width) {
    width = size.width;
    height = size.height;
  } else if (size.shortest_edge) {
    shortestEdge = size.shortest_edge;
    const doCrop = json.do_center_crop !== false && crop && crop.height && crop.width;
    width = doCrop ? crop.width : size.shortest_edge;
    height = doCrop ? crop.height : size.shortest_edge;
  } else {
    throw bad('size must have height and width, or shortest_edge');
  }
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 4096 && height <= 4096)) {
    throw bad(`bad output size ${width}x${height}`);
  }
  return { width, height, shortestEdge, ...parsePixelSettings(json, bad, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }) };
}

/** A checkpoint folder's video processor file (video_preprocessor_config.json, else preprocessor_config.json). */
function readProcessorJson(modelDir: string): { json: Record<string, unknown>; file: string } {
  for (const name of ['video_preprocessor_config.json', 'preprocessor_config.json']) {
    const file = path.join(modelDir, name);
    if (!existsSync(file)) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new VideoError('BAD_PREPROCESSOR_CONFIG', `${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new VideoError('BAD_PREPROCESSOR_CONFIG', `${file} must hold a JSON object`);
    return { json: json as Record<string, unknown>, file };
  }
  throw new VideoError('BAD_PREPROCESSOR_CONFIG', `${modelDir} has no preprocessor_config.json or video_preprocessor_config.json`);
}

/** Reads a checkpoint folder's video processor config, falling back to its image processor config. */
export function loadPreprocessConfig(modelDir: string): PreprocessConfig {
  const { json, file } = readProcessorJson(modelDir);
  return parsePreprocessConfig(json, file);
}

/** Fixed-size frames (LLaVA-OneVision) or a Qwen-VL processor (size from the video and the pixel budget). */
export type VideoPreprocess = PreprocessConfig | QwenVideoConfig;

export function isQwenPreprocess(p: VideoPreprocess): p is QwenVideoConfig {
  return 'family' in p;
}

function modelTypeOf(modelDir: string): unknown {
  try {
    return (JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>).model_type;
  } catch {
    return undefined;
  }
}

/**
 * The video preprocessing of a checkpoint folder: the Qwen-VL processor when the family is given, config.json's
 * model_type names one, or the processor file does; otherwise the fixed-size (LLaVA-OneVision) settings.
 */
export function loadVideoPreprocess(modelDir: string, family?: QwenFamily | null): VideoPreprocess {
  const { json, file } = readProcessorJson(modelDir);
  const qwen = family ?? qwenFamilyOf(modelTypeOf(modelDir)) ?? qwenFamilyOfProcessor(json);
  return qwen ? parseQwenVideoConfig(json, qwen, file) : parsePreprocessConfig(json, file);
}

/** Stable text identifying the preprocessing, for cache keys. */
export function preprocessKey(c: VideoPreprocess): string {
  if (isQwenPreprocess(c)) return qwenVideoKey(c);
  return JSON.stringify([c.width, c.height, c.shortestEdge, c.resample, c.rescaleFactor, c.doRescale, c.doNormalize, c.mean, c.std]);
}
