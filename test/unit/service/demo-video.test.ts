// "Try a demo video": the service makes one clip of the built-in model's shapes world in the data folder (once) and
// opens it like any other video.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { VideoInfo } from '../../../electron/contract.ts';
import { makeService, tmpDir } from './fixture.ts';

const dataDir = tmpDir('sv-demo-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('videos.demo', () => {
  it('makes the demo clip once and opens it', async () => {
    const svc = await makeService(dataDir, null);
    try {
      const r = await svc.service.call('videos.demo', {});
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const v = (r as { res: VideoInfo }).res;
      expect(v).toMatchObject({ name: 'shapes-world-demo.mp4', width: 64, height: 64 });
      expect(v.durationSec).toBeGreaterThan(10);
      expect(v.path).toBe(path.join(dataDir, 'demo', 'shapes-world-demo.mp4'));
      const made = statSync(v.path).mtimeMs;
      const again = (await svc.service.call('videos.demo', {})) as { ok: true; res: VideoInfo };
      expect(again.res.id).toBe(v.id);
      expect(statSync(v.path).mtimeMs).toBe(made);
      expect(existsSync(`${v.path}.part.mp4`)).toBe(false);
      const recent = (await svc.service.call('videos.recent', {})) as { ok: true; res: VideoInfo[] };
      expect(recent.res.map((x) => x.id)).toContain(v.id);
    } finally {
      await svc.close(true);
    }
  }, 60_000);
});
