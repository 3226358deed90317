// A cut-off video (its index promises frames the stream no longer has) is shown plainly: the filmstrip marks the
// sampled frames the file could not supply, the library remembers the count, and each answer's stats carry it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS, type SampledFrame, type VideoInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { ChatSessions } from '../../../engine/service/engine-host/chat-sessions.ts';
import { FFMPEG, makeClip, makeService, tmpDir } from './fixture.ts';

let work: string, whole: string, cut: string;
beforeAll(() => {
  work = tmpDir('sv-cut-');
  process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'video-cache');
  whole = makeClip(work, 'whole.mp4', 4);
  // Index first (faststart), so the cut file still opens and only the tail of the stream is gone.
  const indexed = path.join(work, 'faststart.mp4');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', whole, '-c', 'copy', '-movflags', '+faststart', indexed]);
  const bytes = readFileSync(indexed);
  cut = path.join(work, 'cut.mp4');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
});
afterAll(() => {
  delete process.env.SPARSEVILA_VIDEO_CACHE;
  rmSync(work, { recursive: true, force: true });
});

describe('cut-off videos', () => {
  it('videos.frames marks the missing frames (also from the thumbnail cache) and the library keeps the count', async () => {
    const svc = await makeService(path.join(work, 'data'));
    try {
      const open = async (p: string) => ((await svc.service.call('videos.open', { path: p })) as { ok: true; res: VideoInfo }).res;
      const frames = async (id: string) => ((await svc.service.call('videos.frames', { videoId: id, frames: 8 })) as { ok: true; res: SampledFrame[] }).res;
      const good = await open(whole);
      expect((await frames(good.id)).some((f) => f.missing)).toBe(false);
      const bad = await open(cut);
      const list = await frames(bad.id);
      const missing = list.filter((f) => f.missing);
      expect(missing.length).toBeGreaterThan(0);
      expect(missing.length).toBeLessThan(8);
      // The missing ones are the tail: the file ends before them.
      expect(missing.map((f) => f.index)).toEqual(list.slice(8 - missing.length).map((f) => f.index));
      expect((await frames(bad.id)).filter((f) => f.missing).length).toBe(missing.length);
      const recent = ((await svc.service.call('videos.recent', {})) as { ok: true; res: VideoInfo[] }).res;
      expect(recent.find((v) => v.id === bad.id)?.missingFrames).toBe(missing.length);
      expect(recent.find((v) => v.id === good.id)?.missingFrames).toBe(0);
      // Reopening keeps what sampling found.
      expect((await open(cut)).missingFrames).toBe(missing.length);
    } finally {
      await svc.close();
    }
  }, 60_000);

  it("each answer's stats say how many frames the model did not get", async () => {
    const modelDir = path.join(work, 'model');
    makeCheckpoint(modelDir, { preset: 'tiny', seed: 2 });
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 8, maxNewTokens: 2 };
    const ask = async (id: string, video: string) => {
      await sessions.prepare({ sessionId: id, modelPath: modelDir, videoPath: video, settings }, () => {});
      return (await sessions.ask({ sessionId: id, turn: 1, question: 'what is it?', history: [], settings }, () => {})).stats;
    };
    try {
      expect((await ask('cut', cut)).missingFrames).toBeGreaterThan(0);
      expect((await ask('whole', whole)).missingFrames).toBeUndefined();
    } finally {
      sessions.dispose();
    }
  }, 60_000);
});

describe('filmstrip of many frames', () => {
  it('videos.frames samples 256 frames (ffmpeg refuses a flat select of more than 100 terms)', async () => {
    const long = makeClip(work, 'long.mp4', 12); // 120 frames at 10 fps: 256 samples repeat some
    const svc = await makeService(path.join(work, 'data-many'));
    try {
      const v = ((await svc.service.call('videos.open', { path: long })) as { ok: true; res: VideoInfo }).res;
      for (const n of [128, 256]) {
        const r = await svc.service.call('videos.frames', { videoId: v.id, frames: n });
        expect(r.ok, JSON.stringify(r).slice(0, 300)).toBe(true);
        const list = (r as { ok: true; res: SampledFrame[] }).res;
        expect(list.length).toBe(n);
        expect(list.some((f) => f.missing)).toBe(false);
      }
    } finally {
      await svc.close();
    }
  }, 60_000);
});
