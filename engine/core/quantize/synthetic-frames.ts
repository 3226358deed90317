// Frames of the synthetic shapes world as a model's input, for calibration (AWQ's activations, the 8-bit vision
// tower's smoothing scales) when the user gives no video.
import { DURATION_S, FPS, makeScene, NUM_FRAMES, renderFrame, SIZE } from '../synthetic/world.ts';
import type { PreprocessConfig } from '../video/preprocess-config.ts';
import { preprocessFrames } from '../video/preprocess.ts';

/** A session's video (chat-session.ts SessionVideo, not imported: the model loader uses this file too). */
export interface SyntheticFrames {
  pixelValues: Float32Array;
  frames: number;
  frameTimes: number[];
  durationSec: number;
}

/** `frames` frames spread over a synthetic-world scene, preprocessed for the model. */
export function syntheticVideo(seed: number, frames: number, pre: PreprocessConfig): SyntheticFrames {
  const scene = makeScene(seed);
  const idx = Array.from({ length: frames }, (_, i) => Math.min(NUM_FRAMES - 1, Math.floor(((i + 0.5) * NUM_FRAMES) / frames)));
  return {
    pixelValues: preprocessFrames(idx.map((n) => renderFrame(scene, n)), SIZE, SIZE, pre),
    frames, frameTimes: idx.map((n) => n / FPS), durationSec: DURATION_S,
  };
}

/** `framesPerScene` frames of each scene in `seeds`, one pixel array (scene-major). */
export function syntheticPixels(seeds: readonly number[], framesPerScene: number, pre: PreprocessConfig): { pixels: Float32Array; frames: number } {
  const parts = seeds.map((s) => syntheticVideo(s, framesPerScene, pre).pixelValues);
  const pixels = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { pixels.set(p, o); o += p.length; }
  return { pixels, frames: seeds.length * framesPerScene };
}
