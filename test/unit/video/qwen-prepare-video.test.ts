// A Qwen-VL processor through the app's video pipeline (prepareVideo on a generated clip): HF's frame choice, the
// smart_resize size, pixel_values_videos in the flattened-patch layout with the frames read back from the bits each
// frame carries, second_per_grid_ts and the temporal patches' times; the cache keeps sampling settings apart.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { loadVideoPreprocess } from '../../../engine/core/video/preprocess-config.ts';
import { prepareVideo } from '../../../engine/core/video/prepare-video.ts';
import { withQwenOverrides, type QwenVideoConfig } from '../../../engine/core/video/qwen-video-config.ts';
import type { QwenVideoGrid } from '../../../engine/core/video/qwen-video-processor.ts';
import { makeBitsClip } from './clips.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/qwen-processor');
const dir = mkdtempSync(path.join(os.tmpdir(), 'qwen-prep-'));
const bins = resolveFfmpeg();
let clip = '';
beforeAll(() => {
  clip = makeBitsClip(path.join(dir, 'cfr.mp4')); // 40 frames at 10 fps, 128x96, frame number in bits at rows 64..95
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Red value (0..1) of pixel (x, y) of frame f (within its temporal patch) in pixel_values_videos. */
function red(pv: Float32Array, cfg: QwenVideoConfig, grid: QwenVideoGrid, f: number, x: number, y: number): number {
  const { patchSize: p, mergeSize: m, temporalPatchSize: tps } = cfg;
  const gt = Math.floor(f / tps);
  const [py, px] = [Math.floor(y / p), Math.floor(x / p)];
  const row = ((gt * (grid.h / m) + Math.floor(py / m)) * (grid.w / m) + Math.floor(px / m)) * m * m + (py % m) * m + (px % m);
  const col = ((0 * tps + (f % tps)) * p + (y % p)) * p + (x % p);
  return pv[row * 3 * tps * p * p + col] * cfg.std[0] + cfg.mean[0];
}

/** Frame numbers read back from the bits band (bit b at source x in [16b, 16b+16), rows 64..95), scaled to w x h. */
function frameNumbers(pv: Float32Array, cfg: QwenVideoConfig, grid: QwenVideoGrid, frames: number, w: number, h: number): number[] {
  return Array.from({ length: frames }, (_, f) => {
    let n = 0;
    for (let b = 0; b < 8; b++) if (red(pv, cfg, grid, f, Math.floor(((16 * b + 8) * w) / 128), Math.floor((80 * h) / 96)) > 0.5) n |= 1 << b;
    return n;
  });
}

describe('prepareVideo with a Qwen-VL processor', { timeout: 60_000 }, () => {
  it('Qwen3-VL: linspace frames at 2 fps, the budget-fitted size, the patches of exactly those frames', async () => {
    const cfg = loadVideoPreprocess(path.join(fixtures, 'qwen3'), 'qwen3-vl') as QwenVideoConfig;
    const v = await prepareVideo(clip, { binaries: bins, cacheDir: null, thumbnailWidth: 0, preprocess: cfg });
    // int(4 s x 2 fps) = 8 frames over 0..39, rounded half to even.
    expect(v.frameIndices).toEqual([0, 6, 11, 17, 22, 28, 33, 39]);
    expect([v.width, v.height]).toEqual([128, 96]);
    expect(v.qwen?.grid).toEqual({ t: 4, h: 6, w: 8 });
    expect(v.pixelValues.length).toBe(4 * 6 * 8 * 3 * 2 * 16 * 16);
    expect(frameNumbers(v.pixelValues, cfg, v.qwen!.grid, 8, 128, 96)).toEqual(v.frameIndices);
    // Each temporal patch's time: the mean of its two frames' times (frame number / 10 fps).
    [0.3, 1.4, 2.5, 3.6].forEach((t, i) => expect(v.qwen!.groupTimes[i]).toBeCloseTo(t, 12));
  });

  it('Qwen2.5-VL: arange frames, the per-frame size rounded to 28, second_per_grid_ts; overrides change the frames and the cache key', async () => {
    const base = loadVideoPreprocess(path.join(fixtures, 'qwen25'), 'qwen2.5-vl') as QwenVideoConfig;
    const cacheDir = path.join(dir, 'cache');
    const v = await prepareVideo(clip, { binaries: bins, cacheDir, thumbnailWidth: 0, preprocess: base, memoryCacheBytes: 0 });
    expect(v.frameIndices).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    // 96 / 28 = 3.43 -> 84, 128 / 28 = 4.57 -> 140.
    expect([v.width, v.height]).toEqual([140, 84]);
    expect(v.qwen?.grid).toEqual({ t: 4, h: 6, w: 10 });
    expect(v.qwen?.secondPerGridTs).toBeCloseTo(1, 12); // 8 of 40 frames at 10 fps = 2 fps; 2 frames per patch
    expect(frameNumbers(v.pixelValues, base, v.qwen!.grid, 8, 140, 84)).toEqual(v.frameIndices);

    const slower = withQwenOverrides(base, { fps: 1, maxPixels: 28 * 28 * 4 });
    const w = await prepareVideo(clip, { binaries: bins, cacheDir, thumbnailWidth: 0, preprocess: slower, memoryCacheBytes: 0 });
    expect(w.fromCache).toBe(false);
    // 4 frames (the minimum) every 10; at most 3136 pixels a frame: 96x128 / 1.98 floored to 28 -> 28x56.
    expect(w.frameIndices).toEqual([0, 10, 20, 30]);
    expect([w.width, w.height]).toEqual([56, 28]);
    expect(w.qwen?.grid).toEqual({ t: 2, h: 2, w: 4 });
    expect(w.qwen?.secondPerGridTs).toBeCloseTo(2, 12);
    // A frame-count spec plays no part for a Qwen-VL processor: the same cache entry serves it.
    const again = await prepareVideo(clip, { binaries: bins, cacheDir, thumbnailWidth: 0, preprocess: base, memoryCacheBytes: 0, sampling: { mode: 'uniform', frames: 5 } });
    expect(again.source).toBe('disk');
    expect(Buffer.compare(Buffer.from(again.pixelValues.buffer), Buffer.from(v.pixelValues.buffer))).toBe(0);
  });
});
