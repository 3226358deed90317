// Frame sampling as people ask for it: a number of frames, or a rate (frames per second of video) with a maximum.
// Input outside what the engine can sample is refused with the reason, never clamped silently (2000 -> 256).
import { SETTINGS_LIMITS } from '../../../electron/settings-limits.ts';

export type FrameSampling = { mode: 'count' } | { mode: 'rate'; fps: number; max: number };

/** The engine's limits on frames per video (the contract's schema uses the same). */
export const FRAME_LIMITS = SETTINGS_LIMITS.frames;
export const RATE_LIMITS = { min: 0.01, max: 30 };

export type Checked = { ok: true; value: number } | { ok: false; error: string };

/** A whole number of frames typed by the user. */
export function checkFrameCount(raw: string, what = 'Frames'): Checked {
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(v)) return { ok: false, error: `${what}: type a whole number from ${FRAME_LIMITS.min} to ${FRAME_LIMITS.max}.` };
  if (!Number.isInteger(v)) return { ok: false, error: `${what}: ${raw.trim()} is not a whole number of frames.` };
  if (v < FRAME_LIMITS.min) return { ok: false, error: `${what}: at least ${FRAME_LIMITS.min} frame is needed.` };
  if (v > FRAME_LIMITS.max) return { ok: false, error: `${what}: ${v} is more than the ${FRAME_LIMITS.max} frames the engine samples from one video.` };
  return { ok: true, value: v };
}

/** A sampling rate in frames per second of video. */
export function checkRate(raw: string): Checked {
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(v)) return { ok: false, error: `Rate: type frames per second, from ${RATE_LIMITS.min} to ${RATE_LIMITS.max}.` };
  if (v < RATE_LIMITS.min) return { ok: false, error: `Rate: ${v} fps is below ${RATE_LIMITS.min} (one frame every ${Math.round(1 / RATE_LIMITS.min)} s).` };
  if (v > RATE_LIMITS.max) return { ok: false, error: `Rate: ${v} fps is above ${RATE_LIMITS.max}; sampling faster than the video's own frames adds nothing.` };
  return { ok: true, value: v };
}

/** Frames a sampling takes from a video of this length (null when the length is unknown, under 'rate'). */
export function framesFor(s: FrameSampling, durationSec: number | null, count: number): number | null {
  if (s.mode === 'count') return count;
  if (durationSec === null || !(durationSec > 0)) return null;
  return Math.max(FRAME_LIMITS.min, Math.min(s.max, Math.round(durationSec * s.fps)));
}

/** "64 frames · 12544 visual tokens, 3136 kept at 75% prefill sparsity" (what the frames imply for the model). */
export function impliedTokens(frames: number, tokensPerFrame: number, keepShare: number): string {
  const total = frames * tokensPerFrame;
  const kept = Math.round(total * keepShare);
  return `${frames} frame${frames === 1 ? '' : 's'} · ${total} visual tokens${kept !== total ? `, about ${kept} kept` : ''}`;
}
