// The engine keeps only a few prepared conversations (each holds a KV cache, and maybe a dense twin): the least
// recently used one is dropped, and rebuilt when it is asked again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { ChatSessions, MAX_PREPARED_SESSIONS } from '../../../engine/service/engine-host/chat-sessions.ts';
import { makeClip, tmpDir } from './fixture.ts';

let work: string, modelDir: string, clip: string;
beforeAll(() => {
  work = tmpDir('sv-lru-');
  process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'video-cache');
  modelDir = path.join(work, 'model');
  makeCheckpoint(modelDir, { preset: 'tiny', seed: 4 });
  clip = makeClip(work, 'clip.mp4', 2);
});
afterAll(() => {
  delete process.env.SPARSEVILA_VIDEO_CACHE;
  rmSync(work, { recursive: true, force: true });
});

describe('prepared conversations kept in the engine', () => {
  it(`at most ${MAX_PREPARED_SESSIONS}: the least recently used is dropped and rebuilt when asked again`, async () => {
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 2 };
    const prep = (id: string) => sessions.prepare({ sessionId: id, modelPath: modelDir, videoPath: clip, settings }, () => {});
    try {
      for (let i = 0; i < MAX_PREPARED_SESSIONS; i++) expect((await prep(`c${i}`)).reused).toBe(false);
      expect((await prep('c0')).reused).toBe(true); // c0 is now the most recent; c1 the oldest
      expect((await prep('new')).reused).toBe(false);
      expect((await prep('c0')).reused).toBe(true);
      expect((await prep('c1')).reused).toBe(false); // was dropped
      const r = await sessions.ask({ sessionId: 'c1', turn: 1, question: 'what is it?', history: [], settings }, () => {});
      expect(r.stats.turn).toBe(1);
    } finally {
      sessions.dispose();
    }
  }, 60_000);
});

describe('inspector data from the engine', () => {
  it('carries, per layer, the attention mass the retrieved tokens hold', async () => {
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 2, prefillSparsity: 0.5, decodeSparsity: 0.5 };
    try {
      await sessions.prepare({ sessionId: 'm', modelPath: modelDir, videoPath: clip, settings }, () => {});
      const r = await sessions.ask({ sessionId: 'm', turn: 1, question: 'what is it?', history: [], settings }, () => {});
      const mass = r.inspector!.massShareByLayer!;
      expect(mass.length).toBe(r.inspector!.retrievedByLayer.length);
      expect(mass.length).toBeGreaterThan(0);
      for (const m of mass) expect(m).toBeGreaterThan(0);
      for (const m of mass) expect(m).toBeLessThanOrEqual(1 + 1e-6);
    } finally {
      sessions.dispose();
    }
  }, 60_000);
});
