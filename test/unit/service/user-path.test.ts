// Paths typed or pasted into the app: "~/…" is the home folder and quotes from a file manager are dropped, for videos
// and model folders alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { ModelInfo, VideoInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { userPath } from '../../../engine/service/user-path.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

let home: string;
const savedHome = process.env.HOME;
beforeAll(() => {
  home = tmpDir('sv-home-');
  process.env.HOME = home;
});
afterAll(() => {
  process.env.HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

describe('user-typed paths', () => {
  it('expands ~ and drops surrounding quotes', () => {
    expect(userPath('~/Videos/a.mp4')).toBe(path.join(home, 'Videos/a.mp4'));
    expect(userPath('~')).toBe(home);
    expect(userPath('  "/v/my clip.mp4" ')).toBe('/v/my clip.mp4');
    expect(userPath("'/v/x.mp4'")).toBe('/v/x.mp4');
    expect(userPath('/v/~x.mp4')).toBe('/v/~x.mp4');
  });

  it('videos.open and models.addLocal accept them', async () => {
    makeClip(home, 'clip.mp4', 1);
    makeCheckpoint(path.join(home, 'my model'), { preset: 'tiny' });
    const svc = await makeService(path.join(home, 'data'));
    try {
      const v = await svc.service.call('videos.open', { path: '~/clip.mp4' });
      expect(v.ok, JSON.stringify(v)).toBe(true);
      expect((v as { res: VideoInfo }).res.path).toBe(path.join(home, 'clip.mp4'));
      const m = await svc.service.call('models.addLocal', { path: '"~/my model"' });
      expect(m.ok, JSON.stringify(m)).toBe(true);
      expect((m as { res: ModelInfo }).res.path).toBe(path.join(home, 'my model'));
    } finally {
      await svc.close();
    }
  }, 60_000);
});
