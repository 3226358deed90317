// The sampling controls of models whose processor picks frames by rate and sizes them to a pixel budget (Qwen2.5-VL,
// Qwen3-VL): the checks say why a value is refused (never clamped), and the implied line says what the engine will
// sample for the open video and how many visual tokens that makes.
import type { MemoryEstimate, ModelInfo } from '../../../electron/contract.ts';
import { SETTINGS_LIMITS } from '../../../electron/settings-limits.ts';
import type { Checked } from './frame-sampling.ts';

export type RateSamplingModel = NonNullable<ModelInfo['video']>;

export function checkSampleFps(raw: string): Checked {
  const v = Number(raw.trim()), { min, max } = SETTINGS_LIMITS.sampleFps;
  if (raw.trim() === '' || !Number.isFinite(v)) return { ok: false, error: `Frames per second: type a rate from ${min} to ${max}.` };
  if (v < min || v > max) return { ok: false, error: `Frames per second: ${v} is outside ${min}–${max}.` };
  return { ok: true, value: v };
}

export function checkMaxFrames(raw: string): Checked {
  const v = Number(raw.trim()), { min, max } = SETTINGS_LIMITS.maxFrames;
  if (raw.trim() === '' || !Number.isInteger(v)) return { ok: false, error: `Maximum frames: type a whole number from ${min} to ${max}.` };
  if (v < min) return { ok: false, error: `Maximum frames: at least ${min} (one temporal patch is two frames).` };
  if (v > max) return { ok: false, error: `Maximum frames: ${v} is more than the ${max} frames the engine samples from one video.` };
  return { ok: true, value: v };
}

/** The pixel budget can go down to the model's own minimum, and no lower (its processor would scale up again). */
export function checkMaxPixels(raw: string, model: RateSamplingModel): Checked {
  const v = Number(raw.trim()), max = SETTINGS_LIMITS.maxPixels.max;
  if (raw.trim() === '' || !Number.isInteger(v)) return { ok: false, error: `Maximum pixels: type a whole number of pixels.` };
  if (v < model.minPixels) return { ok: false, error: `Maximum pixels: ${v} is below the model's minimum ${model.minPixels}.` };
  if (v > max) return { ok: false, error: `Maximum pixels: ${v} is above ${max}.` };
  return { ok: true, value: v };
}

export const FAMILY_LABEL: Record<RateSamplingModel['family'], string> = { 'qwen2.5-vl': 'Qwen2.5-VL', 'qwen3-vl': 'Qwen3-VL' };

/** "120 frames at 448x252 · 60 frame pairs x 110 tokens = 6600 visual tokens, about 1650 kept". */
export function impliedRateTokens(e: MemoryEstimate): string | null {
  if (!e.sampling || !e.visualTokens) return null;
  const s = e.sampling, t = e.visualTokens;
  return `${s.frames} frames at ${s.width}x${s.height} · ${s.temporalPatches} frame pairs × ${s.tokensPerPatch} tokens = ${t.total} visual tokens${t.kept !== t.total ? `, about ${t.kept} kept` : ''}`;
}
