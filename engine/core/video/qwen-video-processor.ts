// Qwen2.5-VL / Qwen3-VL video preprocessing as transformers 5.17's Qwen2VLVideoProcessor / Qwen3VLVideoProcessor do
// it: which frames to sample (sample_frames), the frame size under the pixel budget (smart_resize), then rescale +
// normalize and the flattened temporal patches (patchify) -> pixel_values_videos [N, C * T * p * p] and video_grid_thw;
// plus what the processors add around them (Qwen2.5-VL's second_per_grid_ts, Qwen3-VL's `<t seconds>` timestamps).
// Checked against HF on the same frames by test/unit/video/qwen-video-processor.test.ts.
import { VideoError } from './errors.ts';
import type { QwenVideoConfig } from './qwen-video-config.ts';
import { resizeRgb } from './resize.ts';
import { formatPythonFixed, roundHalfEven } from './sampling.ts';

/** HF's video_grid_thw: temporal patches x patch rows x patch columns (before the merger). */
export interface QwenVideoGrid {
  t: number;
  h: number;
  w: number;
}

/** The source frame numbers HF samples from a video of `totalFrames` at `videoFps` (sample_frames with cfg.fps). */
export function qwenSampleIndices(cfg: QwenVideoConfig, totalFrames: number, videoFps: number): number[] {
  if (!(Number.isInteger(totalFrames) && totalFrames >= 1)) throw new VideoError('BAD_OPTIONS', `the video has no frames to sample (${totalFrames})`);
  if (!(videoFps > 0)) throw new VideoError('BAD_OPTIONS', `the video's frame rate is unknown (${videoFps})`);
  return cfg.family === 'qwen3-vl' ? qwen3Indices(cfg, totalFrames, videoFps) : qwen2Indices(cfg, totalFrames, videoFps);
}

/** Qwen2VLVideoProcessor: a multiple of temporal_patch_size frames, taken every total/n frames from 0 (torch.arange). */
function qwen2Indices(cfg: QwenVideoConfig, total: number, videoFps: number): number[] {
  const tps = cfg.temporalPatchSize;
  const maxFrames = Math.floor(Math.min(cfg.maxFrames, total) / tps) * tps;
  const wanted = Math.min(Math.max((total / videoFps) * cfg.fps, cfg.minFrames), maxFrames, total);
  const n = Math.floor(wanted / tps) * tps;
  if (n < 1) {
    throw new VideoError('BAD_OPTIONS', `a ${total}-frame video is too short for Qwen2.5-VL: its sampling needs at least ${tps} frames`);
  }
  // torch.arange(0, total, total / n) in float32 (values computed in double, then stored), then .int() truncates.
  const step = total / n;
  const count = Math.ceil(total / step);
  return Array.from({ length: count }, (_, i) => Math.trunc(Math.fround(i * step)));
}

/** Qwen3VLVideoProcessor: int(duration * fps) clamped to [min_frames, max_frames] and the frame count, spread by
 *  numpy.linspace(0, total - 1, n).round() (ties to even). */
function qwen3Indices(cfg: QwenVideoConfig, total: number, videoFps: number): number[] {
  const n = Math.min(Math.max(Math.trunc((total / videoFps) * cfg.fps), cfg.minFrames), cfg.maxFrames, total);
  if (n === 1) return [0];
  const step = (total - 1) / (n - 1);
  const out = Array.from({ length: n }, (_, i) => roundHalfEven(i * step));
  out[n - 1] = total - 1;
  return out;
}

/** Frame size (multiples of patch x merge) for `frames` sampled frames of width x height: HF's smart_resize. */
export function qwenFrameSize(cfg: QwenVideoConfig, width: number, height: number, frames: number): { width: number; height: number } {
  const factor = cfg.patchSize * cfg.mergeSize;
  const [h, w] = cfg.family === 'qwen3-vl'
    ? smartResizeVideo(frames, height, width, cfg.temporalPatchSize, factor, cfg.minPixels, cfg.maxPixels)
    : smartResizeFrame(height, width, factor, cfg.minPixels, cfg.maxPixels);
  return { width: w, height: h };
}

function checkAspect(height: number, width: number): void {
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > 200) throw new VideoError('BAD_OPTIONS', `the video's aspect ratio must be smaller than 200, got ${ratio}`);
}

/** Qwen2VL's smart_resize: the pixel budget bounds each frame. Returns [height, width]. */
export function smartResizeFrame(height: number, width: number, factor: number, minPixels: number, maxPixels: number): [number, number] {
  checkAspect(height, width);
  let h = roundHalfEven(height / factor) * factor;
  let w = roundHalfEven(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return [h, w];
}

/** Qwen3-VL's smart_resize: the budget bounds the whole video (frames rounded to the temporal patch). [height, width]. */
export function smartResizeVideo(
  frames: number, height: number, width: number, temporalFactor: number, factor: number, minPixels: number, maxPixels: number,
): [number, number] {
  if (frames < temporalFactor) {
    throw new VideoError('BAD_OPTIONS', `Qwen3-VL needs at least ${temporalFactor} sampled frames, got ${frames}`);
  }
  if (height < factor || width < factor) {
    const scale = Math.max(factor / height, factor / width);
    height = Math.trunc(height * scale);
    width = Math.trunc(width * scale);
  }
  checkAspect(height, width);
  let h = roundHalfEven(height / factor) * factor;
  let w = roundHalfEven(width / factor) * factor;
  const t = roundHalfEven(frames / temporalFactor) * temporalFactor;
  if (t * h * w > maxPixels) {
    const beta = Math.sqrt((frames * height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (t * h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (frames * height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return [h, w];
}

/** The patch grid of `frames` frames of this (already resized) size; the last temporal patch is padded. */
export function qwenVideoGrid(cfg: QwenVideoConfig, frames: number, width: number, height: number): QwenVideoGrid {
  const factor = cfg.patchSize * cfg.mergeSize;
  if (width % factor || height % factor) throw new VideoError('BAD_OPTIONS', `frame size ${width}x${height} is not a multiple of ${factor}`);
  return { t: Math.ceil(frames / cfg.temporalPatchSize), h: height / cfg.patchSize, w: width / cfg.patchSize };
}

/** LLM tokens of a grid after the merger (HF: video_grid_thw.prod() // merge_size**2). */
export function qwenVideoTokenCount(grid: QwenVideoGrid, mergeSize: number): number {
  return (grid.t * grid.h * grid.w) / (mergeSize * mergeSize);
}

/**
 * Rescale + normalize (HF's fused float32 arithmetic: (x - mean / factor) / (std / factor)) and patchify resized RGB
 * frames ([frames, height, width, 3] bytes) into pixel_values_videos [t * h * w, 3 * T * p * p]. Rows run over temporal
 * patch, merge window row, merge window column, row and column inside the window; columns over channel, frame within
 * the temporal patch, pixel row and column. A last incomplete temporal patch repeats the last frame.
 */
export function patchifyQwenVideo(rgb: Uint8Array, frames: number, width: number, height: number, cfg: QwenVideoConfig): { pixelValues: Float32Array; grid: QwenVideoGrid } {
  const plane = width * height * 3;
  if (rgb.length !== frames * plane) throw new VideoError('BAD_OPTIONS', `expected ${frames * plane} bytes of ${frames} ${width}x${height} RGB frames, got ${rgb.length}`);
  const grid = qwenVideoGrid(cfg, frames, width, height);
  const { patchSize: p, temporalPatchSize: tps, mergeSize: m } = cfg;
  // HF folds the rescale into float32 mean / std tensors (mean * (1 / factor)), then subtracts and divides in float32.
  const f = Math.fround;
  const scale = f(cfg.doRescale ? 1 / cfg.rescaleFactor : 1);
  const mean = cfg.mean.map((v) => (cfg.doNormalize ? f(f(v) * scale) : 0));
  const std = cfg.std.map((v) => (cfg.doNormalize ? f(f(v) * scale) : 1));
  // Without normalization HF only rescales (x * factor), in float32 too.
  const rescaleOnly = !cfg.doNormalize && cfg.doRescale ? f(cfg.rescaleFactor) : 0;
  const value = (byte: number, c: number) => (rescaleOnly ? f(byte * rescaleOnly) : f(f(byte - mean[c]) / std[c]));
  const cols = 3 * tps * p * p;
  const out = new Float32Array(grid.t * grid.h * grid.w * cols);
  const wh = grid.h / m;
  const ww = grid.w / m;
  let row = 0;
  for (let gt = 0; gt < grid.t; gt++) {
    for (let by = 0; by < wh; by++) {
      for (let bx = 0; bx < ww; bx++) {
        for (let my = 0; my < m; my++) {
          for (let mx = 0; mx < m; mx++, row++) {
            const y0 = (by * m + my) * p;
            const x0 = (bx * m + mx) * p;
            let o = row * cols;
            for (let c = 0; c < 3; c++) {
              for (let tp = 0; tp < tps; tp++) {
                const f = Math.min(gt * tps + tp, frames - 1);
                for (let py = 0; py < p; py++) {
                  let s = f * plane + ((y0 + py) * width + x0) * 3 + c;
                  for (let px = 0; px < p; px++, s += 3) out[o++] = value(rgb[s], c);
                }
              }
            }
          }
        }
      }
    }
  }
  return { pixelValues: out, grid };
}

/** Resizes native-size frames as the processor does, then patchifies them (what a decoded video goes through). */
export function preprocessQwenFrames(frames: Uint8Array[], width: number, height: number, cfg: QwenVideoConfig): { pixelValues: Float32Array; grid: QwenVideoGrid; width: number; height: number } {
  const size = qwenFrameSize(cfg, width, height, frames.length);
  const per = size.width * size.height * 3;
  const rgb = new Uint8Array(frames.length * per);
  frames.forEach((f, i) => rgb.set(resizeRgb(f, width, height, size.width, size.height, cfg.resample), i * per));
  return { ...patchifyQwenVideo(rgb, frames.length, size.width, size.height, cfg), ...size };
}

/**
 * Qwen2.5-VL's second_per_grid_ts: temporal_patch_size / the sampled frame rate (HF's VideoMetadata.sampled_fps =
 * sampled frames / total frames x the video's fps).
 */
export function secondPerGridTs(cfg: QwenVideoConfig, sampledFrames: number, totalFrames: number, videoFps: number): number {
  return cfg.temporalPatchSize / ((sampledFrames / totalFrames) * videoFps);
}

/** Qwen3-VL: one time per temporal patch, the mean of its first and last frame's (frame number / fps), the last
 *  patch padded with the last frame as the pixels are (Qwen3VLProcessor._calculate_timestamps). */
export function qwen3FrameGroupTimestamps(frameIndices: readonly number[], videoFps: number, temporalPatchSize: number): number[] {
  const idx = [...frameIndices];
  while (idx.length % temporalPatchSize) idx.push(idx[idx.length - 1]);
  const out: number[] = [];
  for (let i = 0; i < idx.length; i += temporalPatchSize) out.push((idx[i] / videoFps + idx[i + temporalPatchSize - 1] / videoFps) / 2);
  return out;
}

/** Python's f"<{t:.1f} seconds>", the text Qwen3-VL puts before each temporal patch's tokens. */
export function qwen3TimestampText(seconds: number): string {
  return `<${formatPythonFixed(seconds, 1)} seconds>`;
}

export interface QwenVideoTokens {
  visionStart: string;
  videoPad: string;
  visionEnd: string;
}
export const QWEN_VIDEO_TOKENS: QwenVideoTokens = { visionStart: '<|vision_start|>', videoPad: '<|video_pad|>', visionEnd: '<|vision_end|>' };

/**
 * What Qwen3VLProcessor.replace_video_token puts in place of the prompt's video token: per temporal patch, its
 * timestamp text, then vision_start, (h * w / merge^2) video tokens, vision_end.
 */
export function qwen3VideoPlaceholder(grid: QwenVideoGrid, timestamps: readonly number[], mergeSize: number, tokens: QwenVideoTokens = QWEN_VIDEO_TOKENS): string {
  if (timestamps.length !== grid.t) throw new VideoError('BAD_OPTIONS', `${timestamps.length} timestamps for ${grid.t} temporal patches`);
  const perGroup = (grid.h * grid.w) / (mergeSize * mergeSize);
  return timestamps.map((t) => `${qwen3TimestampText(t)}${tokens.visionStart}${tokens.videoPad.repeat(perGroup)}${tokens.visionEnd}`).join('');
}
