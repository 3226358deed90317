// The model's video input: sampleVideo (probe -> sample -> decode once -> on-disk cache, shared with the filmstrip)
// -> rescale + normalize -> PreparedVideo (pixel_values_videos [F, 3, H, W] plus frame times and thumbnails). Prepared
// videos are also kept in this process's memory, so a second conversation or a re-ask on the same video and sampling
// costs neither a decode nor a normalization.
import { existsSync } from 'node:fs';
import { MemoryCache } from './memory-cache.ts';
import { normalizeInto } from './preprocess.ts';
import { isQwenPreprocess, LLAVA_ONEVISION_PREPROCESS, type VideoPreprocess } from './preprocess-config.ts';
import { patchifyQwenVideo, qwen3FrameGroupTimestamps, secondPerGridTs, type QwenVideoGrid } from './qwen-video-processor.ts';
import type { VideoProbe } from './probe.ts';
import { llavaVideoTimeInstruction } from './sampling.ts';
import { DEFAULT_THUMB_WIDTH, sampledVideoKey, sampleVideo, type SampledVideo, type SampleVideoOptions } from './sample-video.ts';

export { chooseStrategy, seekMinGapFrames, type VideoProgress } from './sample-video.ts';

/** What a Qwen-VL processor adds to pixel_values_videos (HF's video_grid_thw, second_per_grid_ts, timestamps). */
export interface QwenVideoInputs {
  grid: QwenVideoGrid;
  /** Qwen2.5-VL's seconds per temporal patch (temporal_patch_size / the sampled frame rate). */
  secondPerGridTs: number;
  /** Seconds of each temporal patch as Qwen3-VL's prompt states them (mean of its first and last frame number / fps). */
  groupTimes: number[];
}

export interface PreparedVideo {
  /**
   * pixel_values_videos normalized as the model's processor does: [frames, 3, height, width], or for a Qwen-VL
   * processor HF's flattened temporal patches [t * h * w, 3 * temporal_patch_size * patch^2] (see `qwen`). Shared: read only.
   */
  pixelValues: Float32Array;
  /** Set for a Qwen-VL processor. */
  qwen?: QwenVideoInputs;
  frames: number;
  height: number;
  width: number;
  /** Seconds from the start of the file, one per frame (the decoded frame's own timestamp). */
  frameTimes: number[];
  /** Source frame number of each sampled frame. */
  frameIndices: number[];
  durationSec: number;
  /** LLaVA-Video's "The video lasts for ..." sentence for these frames. */
  timeInstruction: string;
  /** One small JPEG per frame (absolute paths), or [] when there are none. */
  thumbnails: string[];
  probe: VideoProbe;
  /** Sampled frames past where the stream ended (a cut-off file): each repeats the last frame that decoded. */
  missingFrames: number;
  fromCache: boolean;
  /** Where the frames came from: decoded now, the on-disk cache, or this process's memory. */
  source: 'decode' | 'disk' | 'memory';
  /** How the frames were decoded (null when they came from a cache). */
  strategy: 'select' | 'seek' | null;
}

export interface PrepareVideoOptions extends SampleVideoOptions {
  /**
   * Bound (bytes of pixel values) of the prepared videos kept in memory; 0 keeps none. Default 2 GiB, one 1024-frame
   * video at 384 px. The bound is per process and applies to the first call's value; caching off (cacheDir null) also
   * skips memory.
   */
  memoryCacheBytes?: number;
}

const DEFAULT_MEMORY_BYTES = 2 * 2 ** 30;
interface Kept {
  video: PreparedVideo;
  thumbWidth: number;
}
let memory: MemoryCache<Kept> | null = null;

function memoryCache(options: PrepareVideoOptions): MemoryCache<Kept> | null {
  if (options.cacheDir === null || options.memoryCacheBytes === 0) return null;
  memory ??= new MemoryCache<Kept>(options.memoryCacheBytes ?? DEFAULT_MEMORY_BYTES);
  return memory;
}

/** Forgets the prepared videos kept in memory (tests; or to hand the memory back). */
export function clearPreparedVideos(): void {
  memory?.clear();
}

function normalized(s: SampledVideo, cfg: VideoPreprocess): { pixelValues: Float32Array; qwen?: QwenVideoInputs } {
  const rgb = s.rgb();
  if (isQwenPreprocess(cfg)) {
    const { pixelValues, grid } = patchifyQwenVideo(rgb, s.frames, s.width, s.height, cfg);
    const p = s.probe;
    return {
      pixelValues,
      qwen: {
        grid,
        secondPerGridTs: secondPerGridTs(cfg, s.frames, p.frameCount, p.fps),
        groupTimes: qwen3FrameGroupTimestamps(s.frameIndices, p.fps, cfg.temporalPatchSize),
      },
    };
  }
  const per = cfg.width * cfg.height * 3;
  const pixelValues = new Float32Array(s.frames * per);
  for (let f = 0; f < s.frames; f++) normalizeInto(rgb.subarray(f * per, (f + 1) * per), cfg, pixelValues, f * per);
  return { pixelValues };
}

export async function prepareVideo(file: string, options: PrepareVideoOptions = {}): Promise<PreparedVideo> {
  const cfg = options.preprocess ?? LLAVA_ONEVISION_PREPROCESS;
  const kept = memoryCache(options);
  const key = kept ? sampledVideoKey(file, options) : null;
  const hit = key ? kept?.get(key) : undefined;
  const wantThumbs = options.thumbnailWidth ?? DEFAULT_THUMB_WIDTH;
  // The thumbnails live in the disk cache, which another process may have pruned since.
  if (hit && (wantThumbs === 0 || (hit.thumbWidth === wantThumbs && hit.video.thumbnails.every((t) => existsSync(t))))) {
    options.onProgress?.({ stage: 'cache', done: 1, total: 1, etaSec: 0 });
    return { ...hit.video, fromCache: true, source: 'memory', strategy: null };
  }
  const s = await sampleVideo(file, options);
  const video: PreparedVideo = {
    ...normalized(s, cfg),
    frames: s.frames,
    height: s.height,
    width: s.width,
    frameTimes: s.frameTimes,
    frameIndices: s.frameIndices,
    durationSec: s.probe.durationSec,
    timeInstruction: llavaVideoTimeInstruction(s.probe.durationSec, s.frameTimes),
    thumbnails: s.thumbnails,
    probe: s.probe,
    missingFrames: s.missingFrames,
    fromCache: s.fromCache,
    source: s.fromCache ? 'disk' : 'decode',
    strategy: s.strategy,
  };
  if (kept && s.key) {
    const p = s.probe;
    kept.set(s.key, { video, thumbWidth: s.thumbWidth }, video.pixelValues.byteLength, { file: p.path, version: `${p.sizeBytes}:${p.mtimeMs}:${p.inode}` });
  }
  return video;
}
