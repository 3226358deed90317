// The decode-retrieval setting (issue 15 part 4): the contract refuses hostile values by the engine's own rules, old
// settings files get the default, and the engine's conversations run the chosen mode (a changed mode rebuilds them).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, RetrievalChoice, Settings } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { DEFAULT_RETRIEVAL } from '../../../engine/core/sparse/retrieval-settings.ts';
import { ChatSessions } from '../../../engine/service/engine-host/chat-sessions.ts';
import { SettingsStore } from '../../../engine/service/store/settings-store.ts';
import { makeClip, tmpDir } from './fixture.ts';

describe('retrieval in the settings contract', () => {
  it('accepts each mode with a valid parameter (or none)', () => {
    for (const r of [{ mode: 'per-layer', value: null }, { mode: 'shared', value: null }, { mode: 'shared', value: 2 }, { mode: 'top-p', value: 0.8 }, { mode: 'top-p', value: null },
      { mode: 'refresh', value: 1 }, { mode: 'pages', value: 4 }, { mode: 'fastv', value: 0 }]) {
      expect(RetrievalChoice.safeParse(r).success, JSON.stringify(r)).toBe(true);
    }
  });

  it('refuses hostile values, naming the problem', () => {
    const bad: [unknown, RegExp][] = [
      [{ mode: 'evil', value: null }, /Invalid option|expected one of/i],
      [{ mode: 'refresh', value: 2.5 }, /refreshEvery must be an integer/],
      [{ mode: 'refresh', value: 0 }, /refreshEvery must be an integer >= 1/],
      [{ mode: 'pages', value: -4 }, /too small|>=0/i],
      [{ mode: 'top-p', value: 1.5 }, /mass must be in \(0, 1\]/],
      [{ mode: 'top-p', value: 0 }, /mass must be in \(0, 1\]/],
      [{ mode: 'per-layer', value: 3 }, /per-layer takes no parameter/],
      [{ mode: 'shared', value: 1.5 }, /fullLayers must be an integer/],
      [{ mode: 'fastv', value: 1e9 }, /too big|<=4096/i],
      [{ mode: 'pages', value: Number.NaN }, /number/i],
      [{ mode: 'pages', value: Infinity }, /number|too big|finite/i],
      [{ mode: 'pages', value: '4' }, /number/i],
      [{ mode: 'pages' }, /expected number|nullable|Required|received undefined/i],
      ['pages=4', /object/i],
    ];
    for (const [v, msg] of bad) {
      const r = RetrievalChoice.safeParse(v);
      expect(r.success, JSON.stringify(v)).toBe(false);
      expect(r.error!.issues.map((i) => i.message).join('; '), JSON.stringify(v)).toMatch(msg);
      expect(Settings.safeParse({ ...DEFAULT_SETTINGS, retrieval: v }).success).toBe(false);
    }
  });

  it('settings saved before the setting existed load with the default', async () => {
    const dir = tmpDir('sv-retrieval-settings-');
    try {
      const { retrieval: _drop, ...old } = DEFAULT_SETTINGS;
      writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(old));
      const store = new SettingsStore(dir);
      expect((await store.load()).retrieval).toEqual({ mode: DEFAULT_RETRIEVAL.mode, value: null });
      expect((await store.update({ retrieval: { mode: 'pages', value: 4 } })).retrieval).toEqual({ mode: 'pages', value: 4 });
      await expect(store.update({ retrieval: { mode: 'pages', value: 0 } })).rejects.toThrow(/pageSize must be an integer >= 1/);
      expect(store.get().retrieval).toEqual({ mode: 'pages', value: 4 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retrieval in the engine conversations', () => {
  let work: string, modelDir: string, clip: string;
  beforeAll(() => {
    work = tmpDir('sv-retrieval-engine-');
    process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'video-cache');
    modelDir = path.join(work, 'model');
    mkdirSync(modelDir, { recursive: true });
    makeCheckpoint(modelDir, { preset: 'tiny', seed: 4 });
    clip = makeClip(work, 'clip.mp4', 2);
  });
  afterAll(() => {
    delete process.env.SPARSEVILA_VIDEO_CACHE;
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the chosen mode and its parameter; a changed mode rebuilds the conversation', async () => {
    const sessions = new ChatSessions();
    const base = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 5, prefillSparsity: 0.5, decodeSparsity: 0.75 };
    const run = async (retrieval: Settings['retrieval']) => {
      const settings = { ...base, retrieval };
      const p = await sessions.prepare({ sessionId: 's', modelPath: modelDir, videoPath: clip, settings }, () => {});
      const r = await sessions.ask({ sessionId: 's', turn: 1, question: 'what is it?', history: [], settings }, () => {});
      return { reused: p.reused, inspector: r.inspector!, tokens: r.stats.tokens };
    };
    try {
      const shared = await run({ mode: 'shared', value: null });
      expect(shared.reused).toBe(false);
      const sets = shared.inspector.retrievedByLayer;
      for (const s of sets) expect(s).toEqual(sets[0]);
      expect(shared.inspector.retrievalTimeline ?? null).toBeNull();
      const refresh = await run({ mode: 'refresh', value: 1 });
      expect(refresh.reused).toBe(false);
      // re-retrieved from every generated token after the first: one timeline entry per token
      expect(refresh.tokens).toBe(5);
      expect(refresh.inspector.retrievalTimeline!.length).toBeGreaterThan(1);
      expect((await run({ mode: 'refresh', value: 1 })).reused).toBe(true);
    } finally {
      sessions.dispose();
    }
  }, 60_000);
});
