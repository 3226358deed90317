// Frames are decoded once per video + sampling: the filmstrip (videos.frames, sampled for the active model) fills the
// cache entry the engine then reads for each conversation's first question and for re-asks with new settings; a
// changed file is decoded again.
import { describe, expect, it } from 'vitest';
import { copyFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS, type ModelInfo, type SampledFrame, type Settings, type VideoInfo } from '../../../electron/contract.ts';
import { clearPreparedVideos } from '../../../engine/core/video/prepare-video.ts';
import { ChatSessions } from '../../../engine/service/engine-host/chat-sessions.ts';
import type { ProgressEvent } from '../../../engine/service/engine-host/engine-contract.ts';
import { engineWork, makeClip, makeService } from './fixture.ts';

const w = engineWork('sv-once-', 3, 3);

describe('decode once per video + sampling', () => {
  it('the filmstrip decodes; conversations and re-asks reuse its frames; a changed file decodes again', async () => {
    const svc = await makeService(path.join(w.work, 'data'));
    let strip: SampledFrame[];
    try {
      const model = (await svc.service.call('models.addLocal', { path: w.modelDir })) as { ok: true; res: ModelInfo };
      await svc.service.call('settings.set', { modelId: model.res.id });
      const video = ((await svc.service.call('videos.open', { path: w.clip })) as { ok: true; res: VideoInfo }).res;
      strip = ((await svc.service.call('videos.frames', { videoId: video.id, frames: 6 })) as { ok: true; res: SampledFrame[] }).res;
      expect(strip).toHaveLength(6);
    } finally {
      await svc.close();
    }

    // The engine process's side, in this process (its memory starts empty, as a fresh engine's does).
    clearPreparedVideos();
    const sessions = new ChatSessions();
    const settings: Settings = { ...DEFAULT_SETTINGS, backend: 'cpu', frames: 6, maxNewTokens: 2, measureDense: false };
    const decoded = async (sessionId: string, s: Settings = settings) => {
      const stages: ProgressEvent['stage'][] = [];
      await sessions.prepare({ sessionId, modelPath: w.modelDir, videoPath: w.clip, settings: s }, (p) => stages.push(p.stage));
      return stages.includes('decode');
    };
    try {
      expect(await decoded('first')).toBe(false);
      const r = await sessions.ask({ sessionId: 'first', turn: 1, question: 'what is it?', history: [], settings }, () => {});
      // The model saw the frames the filmstrip shows, at the same times.
      expect(r.inspector?.frameTimes).toEqual(strip.map((f) => f.timeSec));
      expect(await decoded('second')).toBe(false);
      expect(await decoded('first', { ...settings, policy: 'dense' })).toBe(false); // re-ask with new settings
      copyFileSync(makeClip(w.work, 'other.mp4', 2), w.clip);
      utimesSync(w.clip, new Date(), new Date(Date.now() + 10_000));
      expect(await decoded('third')).toBe(true);
    } finally {
      sessions.dispose();
    }
  }, 180_000);
});
