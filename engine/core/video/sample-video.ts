// file -> sampled frames, the step the filmstrip and the model share: probe -> the sampled frame indices (computed
// here only, by sampleFrameIndices) -> decode (one ffmpeg process also writes the thumbnails) -> resize to the model's
// size in 8 bits -> the on-disk cache. A cached entry is served without probing or decoding again.
import path from 'node:path';
import { VideoCache, cacheKey, defaultVideoCacheDir, fileIdentity, type CacheEntryMeta } from './cache.ts';
import { decodeFrames } from './decode.ts';
import { decodeFramesBySeeking } from './decode-seek.ts';
import { VideoError } from './errors.ts';
import { resolveFfmpeg, type FfmpegBinaries } from './ffmpeg-path.ts';
import { resizeForModel } from './preprocess.ts';
import { isQwenPreprocess, LLAVA_ONEVISION_PREPROCESS, preprocessKey, type VideoPreprocess } from './preprocess-config.ts';
import { qwenFrameSize, qwenSampleIndices } from './qwen-video-processor.ts';
import { resizeRgb } from './resize.ts';
import { probeVideo, type VideoProbe } from './probe.ts';
import { sampleFrameIndices, type SamplingSpec } from './sampling.ts';

/** The filmstrip's thumbnail width, and the default for every cached entry. */
export const DEFAULT_THUMB_WIDTH = 192;

export interface VideoProgress {
  stage: 'probe' | 'decode' | 'cache';
  /** Frames decoded so far (decode), else 0 or 1. */
  done: number;
  total: number;
  /** Estimated seconds left, or null before there is a rate to go by. */
  etaSec: number | null;
}

export interface SampleVideoOptions {
  /** Default: uniform 32 frames (LLaVA-OneVision). Not used with a Qwen-VL processor: its fps and frame bounds decide. */
  sampling?: SamplingSpec;
  /**
   * Default: LLaVA-OneVision's SigLIP 384 settings; normally loadVideoPreprocess(modelDir). A Qwen-VL processor also
   * picks the frames (HF's sample_frames) and their size (smart_resize under its pixel budget).
   */
  preprocess?: VideoPreprocess;
  /** Settings.ffmpegPath; ignored when `binaries` is given. */
  ffmpegPath?: string | null;
  binaries?: FfmpegBinaries;
  /** Cache root; null disables caching; default defaultVideoCacheDir(). */
  cacheDir?: string | null;
  /** After writing an entry, least recently used entries are deleted beyond this many bytes. Default 8 GiB. */
  cacheMaxBytes?: number;
  /**
   * Thumbnail width in pixels (JPEG), or 0 when the caller does not need them. Default DEFAULT_THUMB_WIDTH. Without a
   * cache they go to `thumbnailDir`. A cached entry always carries thumbnails (the default width when 0 is asked), so
   * whichever of the filmstrip and the engine samples a video first serves the other.
   */
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

export interface SampledVideo {
  /** The cache entry's key (null without a cache): the same key names the in-memory prepared video. */
  key: string | null;
  frames: number;
  /** Model input size (after resize and crop). */
  height: number;
  width: number;
  /** Seconds from the start of the file, one per frame (the decoded frame's own timestamp). */
  frameTimes: number[];
  /** Source frame number of each sampled frame. */
  frameIndices: number[];
  /** One small JPEG per frame (absolute paths), or [] when there are none; and their width (0: none). */
  thumbnails: string[];
  thumbWidth: number;
  /** Positions of the sampled frames past where the stream ended (a cut-off file): each repeats the last decoded frame. */
  missing: number[];
  /** Distinct sampled frame numbers the stream did not supply. */
  missingFrames: number;
  probe: VideoProbe;
  fromCache: boolean;
  /** How the frames were decoded (null when they came from the cache). */
  strategy: 'select' | 'seek' | null;
  /** Packed model-sized RGB frames, [frames, height, width, 3] (read from the cache on demand). */
  rgb(): Uint8Array;
}

/**
 * 'auto' seeks when the mean gap between samples exceeds what a seek costs: on average half a keyframe interval of
 * decoding plus opening the input (worth about 30 frames). Unknown keyframe spacing counts as x264's default, 250.
 */
export function seekMinGapFrames(keyframeInterval: number | null): number {
  return (keyframeInterval ?? 250) / 2 + 30;
}

export function chooseStrategy(probe: VideoProbe, uniqueFrames: number, wanted: SampleVideoOptions['strategy'] = 'auto'): 'select' | 'seek' {
  const cfr = !probe.variableFrameRate && probe.frameCountExact;
  if (wanted === 'seek') {
    if (!cfr) throw new VideoError('BAD_OPTIONS', `${path.basename(probe.path)} has a variable frame rate: seeking by frame number is not exact, use 'select'`);
    return 'seek';
  }
  if (wanted === 'select') return 'select';
  return cfr && probe.frameCount / Math.max(1, uniqueFrames) >= seekMinGapFrames(probe.keyframeInterval) ? 'seek' : 'select';
}

/** The cache key of this file (as it is now) under these options, or null when uncached or unreadable. */
export function sampledVideoKey(file: string, options: SampleVideoOptions = {}): string | null {
  if (options.cacheDir === null) return null;
  const id = fileIdentity(file);
  if (!id) return null;
  const preprocess = options.preprocess ?? LLAVA_ONEVISION_PREPROCESS;
  // A Qwen-VL processor picks the frames itself (its settings are in the preprocessing key): the spec plays no part.
  const sampling = isQwenPreprocess(preprocess) ? null : options.sampling ?? { mode: 'uniform', frames: 32 };
  return cacheKey(id, sampling, preprocessKey(preprocess), { ffmpegScale: !!options.ffmpegScale });
}

function uniqueSorted(xs: number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

export async function sampleVideo(file: string, options: SampleVideoOptions = {}): Promise<SampledVideo> {
  const sampling = options.sampling ?? { mode: 'uniform', frames: 32 };
  const cfg = options.preprocess ?? LLAVA_ONEVISION_PREPROCESS;
  const report = options.onProgress ?? (() => {});
  const abs = path.resolve(file);
  const wantThumbs = options.thumbnailWidth ?? DEFAULT_THUMB_WIDTH;

  report({ stage: 'probe', done: 0, total: 1, etaSec: null });
  const cache = options.cacheDir === null ? null : new VideoCache(options.cacheDir ?? defaultVideoCacheDir());
  const key = sampledVideoKey(abs, options);
  if (cache && key) {
    const hit = cache.load(key);
    if (hit && (wantThumbs === 0 || hit.meta.thumbWidth === wantThumbs)) {
      report({ stage: 'cache', done: 1, total: 1, etaSec: 0 });
      const m = hit.meta;
      return {
        key, frames: m.frames, height: m.height, width: m.width, frameTimes: m.frameTimes, frameIndices: m.frameIndices,
        thumbnails: hit.thumbnailPaths, thumbWidth: m.thumbWidth, missing: m.missing, missingFrames: m.missingFrames, probe: m.probe,
        fromCache: true, strategy: null, rgb: hit.readRgb,
      };
    }
  }

  const bins = options.binaries ?? resolveFfmpeg({ ffmpegPath: options.ffmpegPath });
  const probe = await probeVideo(bins, abs, { signal: options.signal });
  const indices = isQwenPreprocess(cfg) ? qwenSampleIndices(cfg, probe.frameCount, probe.fps) : sampleFrameIndices(probe.frameCount, probe.fps, sampling);
  const size = isQwenPreprocess(cfg) ? qwenFrameSize(cfg, probe.width, probe.height, indices.length) : { width: cfg.width, height: cfg.height };
  const unique = uniqueSorted(indices);
  const thumbWidth = cache && wantThumbs === 0 ? DEFAULT_THUMB_WIDTH : wantThumbs;
  const scratch = cache && key ? cache.scratchDir(key) : null;
  const thumbDir = thumbWidth > 0 ? (scratch ? path.join(scratch, 'thumbs') : options.thumbnailDir) : undefined;
  if (thumbWidth > 0 && !thumbDir) throw new VideoError('BAD_OPTIONS', 'thumbnails need a cache dir or a thumbnailDir');

  // ffmpeg delivers native-size frames (resized here exactly like HF), or model-size frames when asked to scale.
  const outW = options.ffmpegScale ? size.width : probe.width;
  const outH = options.ffmpegScale ? size.height : probe.height;
  const per = size.width * size.height * 3;
  const toModelSize = (rgb: Uint8Array): Uint8Array => {
    if (isQwenPreprocess(cfg)) return options.ffmpegScale ? rgb : resizeRgb(rgb, outW, outH, size.width, size.height, cfg.resample);
    return options.ffmpegScale && cfg.shortestEdge === null ? rgb : resizeForModel(rgb, outW, outH, cfg);
  };
  const uniqueRgb = new Uint8Array(unique.length * per);
  const started = Date.now();
  report({ stage: 'decode', done: 0, total: unique.length, etaSec: null });
  let result;
  let strategy: 'select' | 'seek';
  try {
    strategy = chooseStrategy(probe, unique.length, options.strategy);
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
        uniqueRgb.set(toModelSize(rgb), k * per);
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
  const position = new Map(unique.map((n, k) => [n, k]));
  const slot = (n: number) => Math.min(position.get(n)!, lastGood);
  const identity = unique.length === indices.length && result.received === unique.length;
  const rgb = identity ? uniqueRgb : new Uint8Array(indices.length * per);
  const frameTimes: number[] = [];
  const missing: number[] = [];
  indices.forEach((n, i) => {
    const k = slot(n);
    if (!identity) rgb.set(uniqueRgb.subarray(k * per, (k + 1) * per), i * per);
    if (position.get(n)! > lastGood) missing.push(i);
    const pts = result.ptsSec[k];
    frameTimes.push(Number.isFinite(pts) ? pts : unique[k] / probe.fps);
  });
  const thumbForFrame = indices.map(slot);
  const meta: CacheEntryMeta = {
    identity: { path: probe.path, sizeBytes: probe.sizeBytes, mtimeMs: probe.mtimeMs, inode: probe.inode },
    probe,
    frames: indices.length,
    width: size.width,
    height: size.height,
    frameTimes,
    frameIndices: indices,
    missing,
    missingFrames: unique.length - result.received,
    thumbWidth: thumbDir ? thumbWidth : 0,
    thumbnails: thumbDir ? unique.length : 0,
    thumbForFrame,
  };
  let thumbnails: string[] = [];
  if (cache && scratch && key) {
    const dir = cache.commit(key, scratch, meta, rgb);
    cache.prune(options.cacheMaxBytes ?? 8 * 2 ** 30, key);
    thumbnails = thumbDir ? thumbForFrame.map((k) => path.join(dir, 'thumbs', `${k}.jpg`)) : [];
  } else if (thumbDir) {
    thumbnails = thumbForFrame.map((k) => path.join(thumbDir, `${k}.jpg`));
  }
  return {
    key, frames: meta.frames, height: size.height, width: size.width, frameTimes, frameIndices: indices, thumbnails, thumbWidth: meta.thumbWidth, missing,
    missingFrames: meta.missingFrames, probe, fromCache: false, strategy, rgb: () => rgb,
  };
}
