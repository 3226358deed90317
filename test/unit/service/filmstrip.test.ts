// The filmstrip is the sampled-video cache entry's thumbnails, placed for the media server; two requests for the same
// video + sampling at once share one sampling run.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { LLAVA_ONEVISION_PREPROCESS } from '../../../engine/core/video/preprocess-config.ts';
import { sampleVideo } from '../../../engine/core/video/sample-video.ts';
import { filmstrip } from '../../../engine/service/video-thumbs.ts';
import { makeClip, tmpDir } from './fixture.ts';

vi.mock('../../../engine/core/video/sample-video.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../engine/core/video/sample-video.ts')>();
  return { ...real, sampleVideo: vi.fn(real.sampleVideo) };
});

const work = tmpDir('sv-strip-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('filmstrip', () => {
  it('places the cache entry thumbnails as f<N>-<i>.jpg; concurrent requests share one run', async () => {
    process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'cache');
    try {
      const clip = makeClip(work, 'clip.mp4', 2);
      const bins = resolveFfmpeg();
      const dir = path.join(work, 'thumbs');
      const [a, b] = await Promise.all([0, 1].map(() => filmstrip(bins, clip, 5, LLAVA_ONEVISION_PREPROCESS, dir)));
      expect(vi.mocked(sampleVideo)).toHaveBeenCalledTimes(1);
      expect(b).toEqual(a);
      expect(a.map((t) => t.name)).toEqual([0, 1, 2, 3, 4].map((i) => `f5-${i}.jpg`));
      const entry = await sampleVideo(clip, { binaries: bins, sampling: { mode: 'uniform', frames: 5 } });
      expect(entry.fromCache).toBe(true);
      expect(a.map((t) => t.timeSec)).toEqual(entry.frameTimes);
      a.forEach((t, i) => expect(readFileSync(path.join(dir, t.name)).equals(readFileSync(entry.thumbnails[i]))).toBe(true));
      expect(a.some((t) => t.missing)).toBe(false);
      expect(readFileSync(path.join(dir, a[0].name)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8])); // a JPEG
    } finally {
      delete process.env.SPARSEVILA_VIDEO_CACHE;
    }
  }, 60_000);
});
