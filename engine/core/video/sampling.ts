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

/** Python's f"{x:.2f}" (see formatPythonFixed). */
export function formatFixed2(x: number): string {
  return formatPythonFixed(x, 2);
}

/**
 * Python's f"{x:.{digits}f}". JS toFixed rounds exact ties up; Python rounds them to even. With d decimals a double is
 * an exact tie only when it is an odd multiple of 2^-(d+1) (0.25 for one decimal, 0.125 for two), which frame times
 * hit often (a frame index over 24 or 8 fps).
 */
export function formatPythonFixed(x: number, digits: number): string {
  const unit = 2 ** (digits + 1);
  const scaled = Math.abs(x) * unit;
  if (Number.isInteger(scaled) && scaled % 2 !== 0 && Math.abs(x) < 2 ** 40) {
    const tens = 10 ** digits;
    const low = Math.floor(Math.abs(x) * tens);
    const even = low % 2 === 0 ? low : low + 1;
    const whole = Math.floor(even / tens);
    const frac = digits > 0 ? `.${String(even % tens).padStart(digits, '0')}` : '';
    return `${x < 0 ? '-' : ''}${whole}${frac}`;
  }
  return x.toFixed(digits);
}

/** Python's round(x) for a float (and numpy's round): to the nearest integer, exact ties to the even one. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
