// One video pipeline: the filmstrip and the model's frames come from one sampled-video cache entry (one frame-index
// computation, one decode), prepared videos are reused from memory, and a changed file is decoded again.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { MemoryCache } from '../../../engine/core/video/memory-cache.ts';
import { clearPreparedVideos, prepareVideo } from '../../../engine/core/video/prepare-video.ts';
import { sampleVideo, DEFAULT_THUMB_WIDTH, type VideoProgress } from '../../../engine/core/video/sample-video.ts';
import { uniformFrameIndices } from '../../../engine/core/video/sampling.ts';
import { FFMPEG, makeBitsClip, readFrameNumber } from './clips.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'one-video-'));
const bins = resolveFfmpeg();
let clip = '';
beforeAll(() => {
  clip = makeBitsClip(path.join(dir, 'bits.mp4'));
}, 60_000);
beforeEach(() => clearPreparedVideos());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The frame number a 128x96 bits-clip thumbnail shows (DEFAULT_THUMB_WIDTH wide: x and y scaled by 1.5). */
function thumbFrameNumber(jpeg: string): number {
  const w = DEFAULT_THUMB_WIDTH, scale = w / 128;
  const gray = execFileSync(FFMPEG, ['-v', 'error', '-i', jpeg, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
  let n = 0;
  for (let b = 0; b < 8; b++) if (gray[Math.round(80 * scale) * w + Math.round((16 * b + 8) * scale)] > 128) n |= 1 << b;
  return n;
}

const modelFrameNumbers = (pv: Float32Array, frames: number) =>
  Array.from({ length: frames }, (_, f) => readFrameNumber(pv, f, 384, (b) => [(16 * b + 8) * 3, 80 * 4]));

describe('one sampled-video cache for the filmstrip and the model', { timeout: 120_000 }, () => {
  it('the engine reads the entry the filmstrip made: same indices and times, no second decode, thumbnail i = model frame i', async () => {
    const cacheDir = path.join(dir, 'cache-shared');
    const sampling = { mode: 'uniform', frames: 6 } as const;
    // As the service's filmstrip asks (default thumbnail width) ...
    const strip = await sampleVideo(clip, { binaries: bins, cacheDir, sampling });
    expect(strip.fromCache).toBe(false);
    expect(strip.frameIndices).toEqual(uniformFrameIndices(40, 6));
    // ... then as the engine asks (no thumbnails needed).
    const stages: VideoProgress['stage'][] = [];
    const model = await prepareVideo(clip, { binaries: bins, cacheDir, sampling, thumbnailWidth: 0, onProgress: (p) => stages.push(p.stage) });
    expect(model.source).toBe('disk');
    expect(stages).not.toContain('decode');
    expect(model.frameIndices).toEqual(strip.frameIndices);
    expect(model.frameTimes).toEqual(strip.frameTimes);
    const shown = strip.thumbnails.map(thumbFrameNumber);
    expect(shown).toEqual(strip.frameIndices);
    expect(modelFrameNumbers(model.pixelValues, 6)).toEqual(shown);
  });

  it('an entry the engine made first serves the filmstrip too', async () => {
    const cacheDir = path.join(dir, 'cache-engine-first');
    const sampling = { mode: 'uniform', frames: 5 } as const;
    const model = await prepareVideo(clip, { binaries: bins, cacheDir, sampling, thumbnailWidth: 0 });
    expect(model.source).toBe('decode');
    const strip = await sampleVideo(clip, { binaries: bins, cacheDir, sampling });
    expect(strip.fromCache).toBe(true);
    expect(strip.thumbnails.map(thumbFrameNumber)).toEqual(model.frameIndices);
  });

  it('a second conversation and a re-ask reuse the prepared video from memory; a changed file is decoded again', async () => {
    const cacheDir = path.join(dir, 'cache-memory');
    const file = path.join(dir, 'changing.mp4');
    copyFileSync(clip, file);
    const opts = { binaries: bins, cacheDir, sampling: { mode: 'uniform', frames: 4 } as const, thumbnailWidth: 0 };
    const first = await prepareVideo(file, opts);
    const second = await prepareVideo(file, opts);
    expect([first.source, second.source]).toEqual(['decode', 'memory']);
    expect(second.pixelValues).toBe(first.pixelValues); // shared, not copied
    // Another process (or a cleared memory) still finds the disk entry.
    clearPreparedVideos();
    expect((await prepareVideo(file, opts)).source).toBe('disk');

    // The file changes: neither cache serves the old frames, and the old version's entry is deleted.
    const shorter = makeBitsClip(path.join(dir, 'shorter.mp4'), 20);
    copyFileSync(shorter, file);
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    const changed = await prepareVideo(file, opts);
    expect(changed.source).toBe('decode');
    expect(changed.frameIndices).toEqual(uniformFrameIndices(20, 4));
    expect(modelFrameNumbers(changed.pixelValues, 4)).toEqual(uniformFrameIndices(20, 4));
    expect(first.thumbnails.some((t) => existsSync(t))).toBe(false);
    expect((await prepareVideo(file, opts)).source).toBe('memory');
  });

  it('writing an entry deletes entries of an older cache format and scratch dirs of processes that are gone', async () => {
    const cacheDir = path.join(dir, 'cache-stale');
    const old = path.join(cacheDir, '0123456789abcdef0123456789abcdef');
    const orphan = path.join(cacheDir, '.tmp-0123-99999999-1');
    const live = path.join(cacheDir, `.tmp-0123-${process.pid}-1`);
    for (const d of [old, orphan, live]) mkdirSync(d, { recursive: true });
    writeFileSync(path.join(old, 'meta.json'), JSON.stringify({ frames: 1, width: 1, height: 1, frameTimes: [0] }));
    writeFileSync(path.join(old, 'frames.rgb'), new Uint8Array(3));
    await sampleVideo(clip, { binaries: bins, cacheDir, sampling: { mode: 'uniform', frames: 2 } });
    expect([existsSync(old), existsSync(orphan), existsSync(live)]).toEqual([false, false, true]);
  });

  it('caching off (cacheDir null) decodes every time', async () => {
    const opts = { binaries: bins, cacheDir: null, thumbnailWidth: 0, sampling: { mode: 'uniform', frames: 2 } as const };
    expect((await prepareVideo(clip, opts)).source).toBe('decode');
    expect((await prepareVideo(clip, opts)).source).toBe('decode');
  });
});

describe('MemoryCache', () => {
  const v1 = { file: '/v.mp4', version: '1' };
  it('drops the least recently used beyond its byte bound and never keeps a value larger than the bound', () => {
    const m = new MemoryCache<string>(10);
    m.set('a', 'A', 4, v1);
    m.set('b', 'B', 4, { file: '/w.mp4', version: '1' });
    expect(m.get('a')).toBe('A'); // a is now the most recent
    m.set('c', 'C', 4, { file: '/x.mp4', version: '1' });
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual(['A', undefined, 'C']);
    expect(m.bytes).toBe(8);
    m.set('huge', 'H', 11, { file: '/y.mp4', version: '1' });
    expect(m.get('huge')).toBeUndefined();
    expect(m.bytes).toBe(8);
  });

  it('a new version of a file replaces the old one; other samplings of the same version stay', () => {
    const m = new MemoryCache<string>(100);
    m.set('a32', 'A32', 1, v1);
    m.set('a64', 'A64', 1, v1);
    expect([m.get('a32'), m.get('a64')]).toEqual(['A32', 'A64']);
    m.set('a32-new', 'N', 1, { file: '/v.mp4', version: '2' });
    expect([m.get('a32'), m.get('a64'), m.get('a32-new')]).toEqual([undefined, undefined, 'N']);
    expect(m.bytes).toBe(1);
  });
});
