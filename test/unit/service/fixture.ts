// A real AppService on a temp data dir with the engine in a child process (as serve mode runs it).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { EngineHost } from '../../../engine/service/engine-host/engine-host.ts';
import { spawnChildEngine } from '../../../engine/service/engine-host/child-process.ts';
import { AppService } from '../../../engine/service/service.ts';

export async function makeService(dataDir = mkdtempSync(path.join(os.tmpdir(), 'sv-svc-')), embeddedModelsDir: string | null = null) {
  const engine = new EngineHost({ spawn: () => spawnChildEngine() });
  const service = await AppService.create({ dataDir, version: '0.0.0-test', serveMode: true, engine, embeddedModelsDir });
  return {
    service,
    dataDir,
    async close(keep = false) {
      await service.close();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const FFMPEG = process.env.FFMPEG_PATH ?? process.env.FFMPEG_BIN ?? '/usr/bin/ffmpeg';

/** A short generated clip (lavfi testsrc), made once per call. */
export function makeClip(dir: string, name = 'clip.mp4', seconds = 4): string {
  const out = path.join(dir, name);
  execFileSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=10:duration=${seconds}`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', out]);
  return out;
}

export function tmpDir(prefix = 'sv-t-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * For tests that run the engine's ChatSessions in this process: a temp folder with its own video cache
 * (SPARSEVILA_VIDEO_CACHE), a tiny checkpoint and a 10 fps clip, made before the file's tests and removed after.
 */
export function engineWork(prefix: string, seed: number, clipSeconds = 2): { work: string; modelDir: string; clip: string } {
  const w = { work: '', modelDir: '', clip: '' };
  beforeAll(() => {
    w.work = tmpDir(prefix);
    process.env.SPARSEVILA_VIDEO_CACHE = path.join(w.work, 'video-cache');
    w.modelDir = path.join(w.work, 'model');
    makeCheckpoint(w.modelDir, { preset: 'tiny', seed });
    w.clip = makeClip(w.work, 'clip.mp4', clipSeconds);
  });
  afterAll(() => {
    delete process.env.SPARSEVILA_VIDEO_CACHE;
    rmSync(w.work, { recursive: true, force: true });
  });
  return w;
}
