import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ffpath-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeExe(sub: string, name: string): string {
  const d = path.join(dir, sub);
  const f = path.join(d, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(f, '#!/bin/sh\nexit 0\n');
  chmodSync(f, 0o755);
  return f;
}

describe('resolveFfmpeg', () => {
  const settingBin = fakeExe('setting', 'ffmpeg');
  const settingProbe = fakeExe('setting', 'ffprobe');
  const envBin = fakeExe('env', 'ffmpeg');
  const staticBin = fakeExe('static', 'ffmpeg-linux');
  const pathBin = fakeExe('path', 'ffmpeg');
  const pathProbe = fakeExe('path', 'ffprobe');
  const none = () => null;

  it('prefers the setting, with ffprobe beside it', () => {
    const r = resolveFfmpeg({ ffmpegPath: settingBin, env: { FFMPEG_PATH: envBin, PATH: path.dirname(pathBin) }, loadFfmpegStatic: none });
    expect(r).toEqual({ ffmpeg: settingBin, ffprobe: settingProbe, source: 'setting' });
  });

  it('then FFMPEG_PATH; ffprobe from PATH when none is beside it', () => {
    const r = resolveFfmpeg({ env: { FFMPEG_PATH: envBin, PATH: path.dirname(pathBin) }, loadFfmpegStatic: none });
    expect(r).toEqual({ ffmpeg: envBin, ffprobe: pathProbe, source: 'FFMPEG_PATH' });
  });

  it('an explicit path that does not exist is an error, not skipped', () => {
    expect(() => resolveFfmpeg({ ffmpegPath: path.join(dir, 'nope'), env: { PATH: path.dirname(pathBin) } })).toThrow(/ffmpeg path setting.*not an executable/);
    expect(() => resolveFfmpeg({ env: { FFMPEG_PATH: path.join(dir, 'nope'), PATH: '' } })).toThrow(/FFMPEG_PATH/);
  });

  it('then ffmpeg-static when its binary exists', () => {
    const r = resolveFfmpeg({ env: { PATH: path.dirname(pathBin) }, loadFfmpegStatic: () => staticBin });
    expect(r.source).toBe('ffmpeg-static');
    expect(r.ffmpeg).toBe(staticBin);
  });

  it('skips ffmpeg-static when absent, throwing, or naming a missing file; then PATH', () => {
    for (const load of [none, () => { throw new Error("Cannot find module 'ffmpeg-static'"); }, () => path.join(dir, 'gone', 'ffmpeg')]) {
      const r = resolveFfmpeg({ env: { PATH: path.dirname(pathBin) }, loadFfmpegStatic: load });
      expect(r).toEqual({ ffmpeg: pathBin, ffprobe: pathProbe, source: 'PATH' });
    }
  });

  it('names all three places when nothing is found', () => {
    let message = '';
    try {
      resolveFfmpeg({ env: { PATH: path.join(dir, 'empty') }, loadFfmpegStatic: none });
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code?: string }).code).toBe('FFMPEG_NOT_FOUND');
    }
    expect(message).toMatch(/setting \/ FFMPEG_PATH/);
    expect(message).toMatch(/ffmpeg-static/);
    expect(message).toMatch(/on PATH/);
  });

  it('the real default loader does not throw even when ffmpeg-static is missing', () => {
    expect(() => resolveFfmpeg({ env: { PATH: '/usr/bin:/bin' } })).not.toThrow();
    expect(findOnPath('sh', { PATH: '/usr/bin:/bin' })).toMatch(/\/sh$/);
  });
});
