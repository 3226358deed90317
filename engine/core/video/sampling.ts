// Which frames to take. Uniform sampling matches LLaVA-Video / LLaVA-OneVision's reference loader
// (numpy.linspace(0, total - 1, N, dtype=int) over frame indices); fixed-fps sampling takes every
// round(videoFps / fps)-th frame and falls back to uniform when that exceeds the cap.
import { VideoError } from './errors.ts';

export const MAX_SAMPLED_FRAMES = 1024;

export type SamplingSpec =
  | { mode: 'uniform'; frames: number }
  | { mode: 'fps'; fps: number; maxFrames: number };

export function validateSampling(spec: SamplingSpec): void {
  const n = spec.mode === 'uniform' ? spec.frames : spec.maxFrames;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLED_FRAMES) {
    throw new VideoError('BAD_OPTIONS', `frame count must be an integer from 1 to ${MAX_SAMPLED_FRAMES}, got ${n}`);
  }
  if (spec.mode === 'fps' && !(spec.fps > 0 && Number.isFinite(spec.fps))) {
    throw new VideoError('BAD_OPTIONS', `sampling fps must be a positive number, got ${spec.fps}`);
  }
}

/** numpy.linspace(0, total - 1, n, dtype=int), reproduced with the same float operations. */
export function uniformFrameIndices(total: number, n: number): number[] {
  if (total < 1) return [];
  if (n === 1) return [0];
  const stop = total - 1;
  const step = stop / (n - 1);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(i * step);
  out[n - 1] = stop;
  return out;
}

export function sampleFrameIndices(total: number, videoFps: number, spec: SamplingSpec): number[] {
  validateSampling(spec);
  if (spec.mode === 'uniform') return uniformFrameIndices(total, spec.frames);
  const stride = Math.max(1, Math.round(videoFps / spec.fps));
  const indices: number[] = [];
  for (let i = 0; i < total; i += stride) indices.push(i);
  return indices.length > spec.maxFrames ? uniformFrameIndices(total, spec.maxFrames) : indices;
}

/**
 * LLaVA-Video's time instruction, word for word as its reference inference code builds it (including the missing
 * space before "Please"), so checkpoints trained with it see the text they were trained on.
 */
export function llavaVideoTimeInstruction(durationSec: number, frameTimes: readonly number[]): string {
  const times = frameTimes.map((t) => `${formatFixed2(t)}s`).join(',');
  return (
    `The video lasts for ${formatFixed2(durationSec)} seconds, and ${frameTimes.length} frames are uniformly sampled from it. ` +
    `These frames are located at ${times}.Please answer the following questions related to this video.`
  );
}

/**
 * Python's f"{x:.2f}". JS toFixed rounds exact ties up; Python rounds them to even. With two decimals a double is
 * an exact tie only when it is an odd multiple of 1/8 (0.125, 0.375, ...), which frame times at 8 fps hit.
 */
export function formatFixed2(x: number): string {
  const eighths = x * 8;
  if (Number.isInteger(eighths) && eighths % 2 !== 0 && Math.abs(x) < 2 ** 40) {
    const cents = Math.round(Math.abs(x) * 100 - 0.5);
    const even = cents % 2 === 0 ? cents : cents + 1;
    return `${x < 0 ? '-' : ''}${Math.floor(even / 100)}.${String(even % 100).padStart(2, '0')}`;
  }
  return x.toFixed(2);
}
