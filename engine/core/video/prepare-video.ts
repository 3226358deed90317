// The video pipeline's entry point: file -> probe -> sample -> decode (one ffmpeg process) -> resize + normalize
// -> PreparedVideo (pixel_values_videos [F, 3, H, W] plus frame times and thumbnails), with progress, cancellation
// and an on-disk cache.
import path from 'node:path';
import { VideoCache, cacheKey, defaultVideoCacheDir, type CacheEntryMeta } from './cache.ts';
import { decodeFrames } from './decode.ts';
import { decodeFramesBySeeking } from './decode-seek.ts';
import { VideoError } from './errors.ts';
import { resolveFfmpeg, type FfmpegBinaries } from './ffmpeg-path.ts';
import { normalizeInto, resizeForModel } from './preprocess.ts';
import { LLAVA_ONEVISION_PREPROCESS, preprocessKey, type PreprocessConfig } from './preprocess-config.ts';
import { probeVideo, type VideoProbe } from './probe.ts';
import { llavaVideoTimeInstruction, sampleFrameIndices, type SamplingSpec } from './sampling.ts';

export interface PreparedVideo {
  /** pixel_values_videos, [frames, 3, height, width], normalized as the model's processor does. */
  pixelValues: Float32Array;
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
  /** One small JPEG per frame (absolute paths), or [] when thumbnails were not asked for. */
  thumbnails: string[];
  probe: VideoProbe;
  /** Sampled frames past where the stream ended (a cut-off file): each repeats the last frame that decoded. */
  missingFrames: number;
  fromCache: boolean;
  /** How the frames were decoded (null when they came from the cache). */
  strategy: 'select' | 'seek' | null;
}

export interface VideoProgress {
  stage: 'probe' | 'decode' | 'cache';
  /** Frames decoded so far (decode), else 0 or 1. */
  done: number;
  total: number;
  /** Estimated seconds left, or null before there is a rate to go by. */
  etaSec: number | null;
}

export interface PrepareVideoOptions {
  /** Default: uniform 32 frames (LLaVA-OneVision). */
  sampling?: SamplingSpec;
  /** Default: LLaVA-OneVision's SigLIP 384 settings; normally loadPreprocessConfig(modelDir). */
  preprocess?: PreprocessConfig;
  /** Settings.ffmpegPath; ignored when `binaries` is given. */
  ffmpegPath?: string | null;
  binaries?: FfmpegBinaries;
  /** Cache root; null disables caching; default under the OS cache dir. */
  cacheDir?: string | null;
  /** After writing an entry, least recently used entries are deleted beyond this many bytes. Default 8 GiB. */
  cacheMaxBytes?: number;
  /** Thumbnail width in pixels (JPEG), or 0 for none. Default 160. Without a cache they go to `thumbnailDir`. */
  thumbnailWidth?: number;
  thumbnailDir?: string;
  /** Let ffmpeg resize to the model size (faster on big sources, not bit-exact with HF). Default false. */
  ffmpegScale?: boolean;
  /**
   * How frames are pulled out: 'select' decodes the whole stream in one process and keeps the sampled frames (exact
   * for any file); 'seek' jumps to each frame (constant frame rate only; far faster when samples are sparse);
   * 'auto' (default) seeks when the file is CFR and samples are far apart.
   */
  strategy?: 'auto' | 'select' | 'seek';
  signal?: AbortSignal;
  onProgress?: (p: VideoProgress) => void;
}

/**
 * 'auto' seeks when the mean gap between samples exceeds what a seek costs: on average half a keyframe interval of
 * decoding plus opening the input (worth about 30 frames). Unknown keyframe spacing counts as x264's default, 250.
 */
export function seekMinGapFrames(keyframeInterval: number | null): number {
  return (keyframeInterval ?? 250) / 2 + 30;
}

export function chooseStrategy(probe: VideoProbe, uniqueFrames: number, wanted: PrepareVideoOptions['strategy'] = 'auto'): 'select' | 'seek' {
  const cfr = !probe.variableFrameRate && probe.frameCountExact;
  if (wanted === 'seek') {
    if (!cfr) throw new VideoError('BAD_OPTIONS', `${path.basename(probe.path)} has a variable frame rate: seeking by frame number is not exact, use 'select'`);
    return 'seek';
  }
  if (wanted === 'select') return 'select';
  return cfr && probe.frameCount / Math.max(1, uniqueFrames) >= seekMinGapFrames(probe.keyframeInterval) ? 'seek' : 'select';
}

function uniqueSorted(xs: number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

function fromEntry(rgb: Uint8Array, meta: CacheEntryMeta, cfg: PreprocessConfig, probe: VideoProbe, thumbnails: string[], fromCache: boolean): PreparedVideo {
  const per = cfg.width * cfg.height * 3;
  const pixelValues = new Float32Array(meta.frames * per);
  for (let f = 0; f < meta.frames; f++) normalizeInto(rgb.subarray(f * per, (f + 1) * per), cfg, pixelValues, f * per);
  return {
    pixelValues,
    frames: meta.frames,
    height: cfg.height,
    width: cfg.width,
    frameTimes: meta.frameTimes,
    frameIndices: meta.frameIndices,
    durationSec: probe.durationSec,
    timeInstruction: llavaVideoTimeInstruction(probe.durationSec, meta.frameTimes),
    thumbnails,
    probe,
    missingFrames: typeof meta.missingFrames === 'number' ? meta.missingFrames : 0,
    fromCache,
    strategy: null,
  };
}

export async function prepareVideo(file: string, options: PrepareVideoOptions = {}): Promise<PreparedVideo> {
  const sampling = options.sampling ?? { mode: 'uniform', frames: 32 };
  const cfg = options.preprocess ?? LLAVA_ONEVISION_PREPROCESS;
  const thumbWidth = options.thumbnailWidth ?? 160;
  const report = options.onProgress ?? (() => {});
  const bins = options.binaries ?? resolveFfmpeg({ ffmpegPath: options.ffmpegPath });
  const abs = path.resolve(file);

  report({ stage: 'probe', done: 0, total: 1, etaSec: null });
  const probe = await probeVideo(bins, abs, { signal: options.signal });
  const indices = sampleFrameIndices(probe.frameCount, probe.fps, sampling);

  const cache = options.cacheDir === null ? null : new VideoCache(options.cacheDir ?? defaultVideoCacheDir());
  const key = cacheKey(probe, sampling, preprocessKey(cfg), { ffmpegScale: !!options.ffmpegScale, thumbWidth });
  if (cache) {
    const hit = cache.load(key);
    if (hit && hit.meta.frames === indices.length) {
      report({ stage: 'cache', done: 1, total: 1, etaSec: 0 });
      return fromEntry(hit.rgb, hit.meta, cfg, probe, hit.thumbnailPaths, true);
    }
  }

  const unique = uniqueSorted(indices);
  const scratch = cache ? cache.scratchDir(key) : null;
  const thumbDir = thumbWidth > 0 ? (scratch ? path.join(scratch, 'thumbs') : options.thumbnailDir) : undefined;
  if (thumbWidth > 0 && !thumbDir) throw new VideoError('BAD_OPTIONS', 'thumbnails need a cache dir or a thumbnailDir');

  // ffmpeg delivers native-size frames (resized here exactly like HF), or model-size frames when asked to scale.
  const outW = options.ffmpegScale ? cfg.width : probe.width;
  const outH = options.ffmpegScale ? cfg.height : probe.height;
  const per = cfg.width * cfg.height * 3;
  const uniqueRgb = new Uint8Array(unique.length * per);
  const started = Date.now();
  report({ stage: 'decode', done: 0, total: unique.length, etaSec: null });
  const strategy = chooseStrategy(probe, unique.length, options.strategy);
  let result;
  try {
    const decode = strategy === 'seek' ? decodeFramesBySeeking : decodeFrames;
    result = await decode(bins, abs, {
      fps: probe.fps,
      videoStartSec: probe.videoStartOffsetSec,
      frameNumbers: unique,
      width: outW,
      height: outH,
      ffmpegScale: options.ffmpegScale,
      thumbnails: thumbDir ? { dir: thumbDir, width: thumbWidth } : undefined,
      signal: options.signal,
      onFrame: (k, rgb) => {
        const resized = options.ffmpegScale && cfg.shortestEdge === null ? rgb : resizeForModel(rgb, outW, outH, cfg);
        uniqueRgb.set(resized, k * per);
        const done = k + 1;
        const elapsed = (Date.now() - started) / 1000;
        report({ stage: 'decode', done, total: unique.length, etaSec: (elapsed / done) * (unique.length - done) });
      },
    });
  } catch (e) {
    if (scratch) cache?.discard(scratch);
    throw e;
  }
  // A stream can end before its container's frame count (e.g. a cut-off last GOP): repeat the last frame received.
  const lastGood = result.received - 1;
  const slot = new Map(unique.map((n, k) => [n, Math.min(k, lastGood)]));
  const identity = unique.length === indices.length && result.received === unique.length;
  const rgb = identity ? uniqueRgb : new Uint8Array(indices.length * per);
  const frameTimes: number[] = [];
  indices.forEach((n, i) => {
    const k = slot.get(n)!;
    if (!identity) rgb.set(uniqueRgb.subarray(k * per, (k + 1) * per), i * per);
    const pts = result.ptsSec[k];
    frameTimes.push(Number.isFinite(pts) ? pts : unique[k] / probe.fps);
  });
  const thumbKs = indices.map((n) => slot.get(n)!);
  const meta: CacheEntryMeta = {
    frames: indices.length,
    width: cfg.width,
    height: cfg.height,
    frameTimes,
    frameIndices: indices,
    thumbnails: 0,
    thumbForFrame: thumbKs,
    missingFrames: unique.length - result.received,
  };
  let thumbnails: string[] = [];
  if (cache && scratch) {
    // Thumbnails are stored per unique frame; expose one path per sampled frame.
    meta.thumbnails = thumbDir ? unique.length : 0;
    const dir = cache.commit(key, scratch, meta, rgb);
    cache.prune(options.cacheMaxBytes ?? 8 * 2 ** 30, key);
    thumbnails = thumbDir ? thumbKs.map((k) => path.join(dir, 'thumbs', `${k}.jpg`)) : [];
  } else if (thumbDir) {
    thumbnails = thumbKs.map((k) => path.join(thumbDir, `${k}.jpg`));
  }
  return { ...fromEntry(rgb, meta, cfg, probe, thumbnails, false), strategy };
}
