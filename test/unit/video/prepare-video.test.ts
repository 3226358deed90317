// End-to-end on generated clips: the right frames (read back from the bits each frame carries), exact times,
// rotation, VFR, odd paths, thumbnails, progress, cancellation and the cache.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { prepareVideo, type VideoProgress } from '../../../engine/core/video/prepare-video.ts';
import { uniformFrameIndices } from '../../../engine/core/video/sampling.ts';
import { FFMPEG, makeBigClip, makeBitsClip, makeRotatedClip, makeVfrClip, readFrameNumber, vfrTime } from './clips.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'prep-'));
const cacheDir = path.join(dir, 'cache');
const bins = resolveFfmpeg();
let cfr = '';
beforeAll(() => {
  cfr = makeBitsClip(path.join(dir, 'cfr.mp4'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = 384;
// 128x96 source -> 384x384: x * 3, y * 4; the bits band is source rows 64..95.
const upright = (b: number): [number, number] => [(16 * b + 8) * 3, 80 * 4];
// After a 90-degree counter-clockwise turn (96x128 display, x * 4, y * 3) the band is on the right, bit 0 at the bottom.
const turned = (b: number): [number, number] => [80 * 4, (128 - 16 * b - 8) * 3];

function numbers(pv: Float32Array, frames: number, at: (b: number) => [number, number]): number[] {
  return Array.from({ length: frames }, (_, f) => readFrameNumber(pv, f, S, at));
}

describe('prepareVideo', { timeout: 60_000 }, () => {
  it('decodes exactly the uniformly sampled frames, with exact times and thumbnails', async () => {
    const progress: VideoProgress[] = [];
    const v = await prepareVideo(cfr, { binaries: bins, cacheDir: null, thumbnailDir: path.join(dir, 'thumbs'), sampling: { mode: 'uniform', frames: 8 }, onProgress: (p) => progress.push(p) });
    const expected = uniformFrameIndices(40, 8);
    expect(v.frames).toBe(8);
    expect(v.pixelValues.length).toBe(8 * 3 * S * S);
    expect(v.frameIndices).toEqual(expected);
    expect(numbers(v.pixelValues, 8, upright)).toEqual(expected);
    v.frameTimes.forEach((t, i) => expect(t).toBeCloseTo(expected[i] / 10, 9));
    expect(v.durationSec).toBeCloseTo(4, 3);
    expect(v.timeInstruction).toContain('These frames are located at 0.00s,0.50s,1.10s,1.60s,2.20s,2.70s,3.30s,3.90s.Please');
    expect(v.thumbnails).toHaveLength(8);
    for (const t of v.thumbnails) expect(readFileSync(t).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const decodeEvents = progress.filter((p) => p.stage === 'decode');
    expect(decodeEvents.at(-1)).toMatchObject({ done: 8, total: 8, etaSec: 0 });
    expect(decodeEvents.slice(1).map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fixed-fps sampling and more frames than the clip has', async () => {
    const v = await prepareVideo(cfr, { binaries: bins, cacheDir: null, thumbnailWidth: 0, sampling: { mode: 'fps', fps: 2, maxFrames: 64 } });
    expect(numbers(v.pixelValues, v.frames, upright)).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    const many = await prepareVideo(cfr, { binaries: bins, cacheDir: null, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 64 } });
    expect(many.frames).toBe(64);
    expect(numbers(many.pixelValues, 64, upright)).toEqual(uniformFrameIndices(40, 64));
  });

  it('seek strategy (CFR) returns the same frames as select, with B-frames, short GOPs and audio', async () => {
    const gop = makeBitsClip(path.join(dir, 'gop.mp4'), 90, 30, { gop: 12, audio: true });
    const want = uniformFrameIndices(90, 9);
    const opts = { binaries: bins, cacheDir: null, thumbnailDir: path.join(dir, 'seek-thumbs'), sampling: { mode: 'uniform', frames: 9 } } as const;
    const seek = await prepareVideo(gop, { ...opts, strategy: 'seek' });
    const select = await prepareVideo(gop, { ...opts, strategy: 'select' });
    expect(seek.strategy).toBe('seek');
    expect(numbers(seek.pixelValues, 9, upright)).toEqual(want);
    expect(numbers(select.pixelValues, 9, upright)).toEqual(want);
    seek.frameTimes.forEach((t, i) => expect(t).toBeCloseTo(select.frameTimes[i], 6));
    expect(seek.thumbnails.every((t) => existsSync(t))).toBe(true);
    // 'auto' seeks only when samples are far apart.
    expect((await prepareVideo(gop, { ...opts, sampling: { mode: 'uniform', frames: 30 } })).strategy).toBe('select');
  });

  it('seek strategy refuses variable-frame-rate files', async () => {
    const vfr = makeVfrClip(path.join(dir, 'vfr-seek.mp4'));
    await expect(prepareVideo(vfr, { binaries: bins, cacheDir: null, thumbnailWidth: 0, strategy: 'seek' })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('select mode handles hundreds of sampled frames', async () => {
    const long = makeBitsClip(path.join(dir, 'long.mp4'), 128, 30);
    const v = await prepareVideo(long, { binaries: bins, cacheDir: null, thumbnailWidth: 0, strategy: 'select', sampling: { mode: 'uniform', frames: 110 } });
    expect(numbers(v.pixelValues, 110, upright)).toEqual(uniformFrameIndices(128, 110));
  });

  it('a rotated clip comes out upright as players show it', async () => {
    const rot = makeRotatedClip(cfr, path.join(dir, 'rot.mp4'));
    const v = await prepareVideo(rot, { binaries: bins, cacheDir: null, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 5 } });
    expect(v.probe.rotation).toBe(270);
    expect(numbers(v.pixelValues, 5, turned)).toEqual(uniformFrameIndices(40, 5));
  });

  it('a variable-frame-rate clip reports each frame its own time', async () => {
    const vfr = makeVfrClip(path.join(dir, 'vfr.mp4'));
    const v = await prepareVideo(vfr, { binaries: bins, cacheDir: null, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 8 } });
    const got = numbers(v.pixelValues, 8, upright);
    expect(got).toEqual(uniformFrameIndices(40, 8));
    got.forEach((n, i) => expect(v.frameTimes[i]).toBeCloseTo(vfrTime(n), 6));
  });

  it('works on a path with spaces and unicode', async () => {
    const odd = path.join(dir, 'my videos', 'vidéo été 日本 #1.mp4');
    mkdirSync(path.dirname(odd), { recursive: true });
    copyFileSync(cfr, odd);
    const v = await prepareVideo(odd, { binaries: bins, cacheDir, sampling: { mode: 'uniform', frames: 4 } });
    expect(numbers(v.pixelValues, 4, upright)).toEqual(uniformFrameIndices(40, 4));
    expect(v.thumbnails.every((t) => existsSync(t))).toBe(true);
  });

  it('rejects bad files before decoding', async () => {
    const text = path.join(dir, 'readme.mp4');
    writeFileSync(text, 'hello world\n');
    await expect(prepareVideo(text, { binaries: bins, cacheDir })).rejects.toMatchObject({ code: 'NOT_A_VIDEO' });
  });

  it('reports the sampled frames a cut-off file no longer has', async () => {
    const whole = await prepareVideo(cfr, { binaries: bins, cacheDir: null, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 8 } });
    expect(whole.missingFrames).toBe(0);
    // Index first (faststart), so the cut file still opens and only the tail of the stream is gone.
    const indexed = path.join(dir, 'faststart.mp4');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', cfr, '-c', 'copy', '-movflags', '+faststart', indexed]);
    const bytes = readFileSync(indexed);
    const cut = path.join(dir, 'cut.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const v = await prepareVideo(cut, { binaries: bins, cacheDir, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 8 } });
    expect(v.frames).toBe(8);
    expect(v.missingFrames).toBeGreaterThan(0);
    expect(v.missingFrames).toBeLessThan(8);
    const again = await prepareVideo(cut, { binaries: bins, cacheDir, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 8 } });
    expect(again.fromCache).toBe(true);
    expect(again.missingFrames).toBe(v.missingFrames);
  });

  it('cancels mid-decode: ffmpeg is killed and nothing is cached', async () => {
    const big = makeBigClip(path.join(dir, 'big.mp4'), 20);
    const ac = new AbortController();
    const seen: number[] = [];
    const run = prepareVideo(big, {
      binaries: bins,
      cacheDir: path.join(dir, 'cancel-cache'),
      sampling: { mode: 'uniform', frames: 64 },
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage !== 'decode') return;
        seen.push(p.done);
        if (p.done === 2) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Math.max(...seen)).toBeLessThan(64);
    expect(readdirSync(path.join(dir, 'cancel-cache'))).toEqual([]);
  });

  it('caches by file identity, sampling and preprocessing', async () => {
    const file = path.join(dir, 'cached.mp4');
    copyFileSync(cfr, file);
    const opts = { binaries: bins, cacheDir, sampling: { mode: 'uniform', frames: 6 } as const };
    const first = await prepareVideo(file, opts);
    const stages: string[] = [];
    const again = await prepareVideo(file, { ...opts, onProgress: (p) => stages.push(p.stage) });
    expect(first.fromCache).toBe(false);
    expect(again.fromCache).toBe(true);
    expect(stages).not.toContain('decode');
    expect(again.frameTimes).toEqual(first.frameTimes);
    expect(again.thumbnails).toEqual(first.thumbnails);
    expect(Buffer.from(again.pixelValues.buffer).equals(Buffer.from(first.pixelValues.buffer))).toBe(true);
    expect((await prepareVideo(file, { ...opts, sampling: { mode: 'uniform', frames: 7 } })).fromCache).toBe(false);
    expect((await prepareVideo(file, { ...opts, preprocess: { ...(await import('../../../engine/core/video/preprocess-config.ts')).LLAVA_ONEVISION_PREPROCESS, width: 224, height: 224 } })).fromCache).toBe(false);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await prepareVideo(file, opts)).fromCache).toBe(false);
    // A size bound keeps only the newest entries.
    await prepareVideo(file, { ...opts, sampling: { mode: 'uniform', frames: 2 }, cacheMaxBytes: 1 });
    expect(readdirSync(cacheDir).filter((n) => !n.startsWith('.'))).toHaveLength(1);
  });
});
