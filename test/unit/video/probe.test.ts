import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { probeVideo } from '../../../engine/core/video/probe.ts';
import { runProcess } from '../../../engine/core/video/run-process.ts';
import { makeBigClip, makeBitsClip, makeRotatedClip, makeVfrClip } from './clips.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-'));
const bins = resolveFfmpeg();
const noProbe = { ...bins, ffprobe: null };
let cfr = '';
let audio = '';
beforeAll(() => {
  cfr = makeBitsClip(path.join(dir, 'cfr.mp4'));
  audio = makeBigClip(path.join(dir, 'audio.mp4'), 1);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('probeVideo', { timeout: 60_000 }, () => {
  for (const [label, b] of [['ffprobe', bins], ['ffmpeg -i fallback', noProbe]] as const) {
    it(`reads facts of a CFR clip (${label})`, async () => {
      const p = await probeVideo(b, cfr);
      expect(p).toMatchObject({ width: 128, height: 96, rotation: 0, codec: 'h264', fps: 10, frameCount: 40, frameCountExact: true, hasAudio: false });
      expect(p.durationSec).toBeCloseTo(4, 2);
      const a = await probeVideo(b, audio);
      expect(a).toMatchObject({ width: 640, height: 360, hasAudio: true, frameCount: 30 });
    });

    it(`reports rotation and the display size (${label})`, async () => {
      const rot = makeRotatedClip(cfr, path.join(dir, `rot-${label.length}.mp4`));
      const p = await probeVideo(b, rot);
      // The mp4 `rotate=90` tag makes players turn the picture 90 degrees counter-clockwise (= 270 clockwise).
      expect(p.rotation).toBe(270);
      expect([p.width, p.height, p.codedWidth, p.codedHeight]).toEqual([96, 128, 128, 96]);
    });
  }

  it('counts frames where the container stores no count (webm), and flags VFR', async () => {
    const webm = path.join(dir, 'x.webm');
    await runProcess(bins.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=2', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', webm], { timeoutMs: 60_000, what: 'encode' });
    for (const b of [bins, noProbe]) {
      const p = await probeVideo(b, webm);
      expect(p).toMatchObject({ codec: 'vp9', frameCount: 20, frameCountExact: true });
    }
    const vfr = await probeVideo(bins, makeVfrClip(path.join(dir, 'vfr.mp4')));
    expect(vfr.frameCount).toBe(40);
    expect(vfr.durationSec).toBeGreaterThan(7.7); // last frame at 7.7 s
    expect(vfr.variableFrameRate).toBe(true);
  });

  it('rejects a 0-byte file', async () => {
    const f = path.join(dir, 'empty.mp4');
    writeFileSync(f, '');
    await expect(probeVideo(bins, f)).rejects.toMatchObject({ code: 'EMPTY_FILE', message: expect.stringMatching(/empty \(0 bytes\)/) });
  });

  it('rejects a missing file', async () => {
    await expect(probeVideo(bins, path.join(dir, 'nope.mp4'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('rejects a text file named .mp4', async () => {
    const f = path.join(dir, 'notes.mp4');
    writeFileSync(f, 'these are my notes, not a video\n'.repeat(20));
    for (const b of [bins, noProbe]) {
      await expect(probeVideo(b, f)).rejects.toMatchObject({ code: 'NOT_A_VIDEO', message: expect.stringMatching(/text file/) });
    }
  });

  it('rejects a truncated mp4 as damaged', async () => {
    const f = path.join(dir, 'trunc.mp4');
    writeFileSync(f, readFileSync(audio).subarray(0, 3000));
    for (const b of [bins, noProbe]) {
      await expect(probeVideo(b, f)).rejects.toMatchObject({ code: 'UNREADABLE', message: expect.stringMatching(/truncated/) });
    }
  });

  it('rejects audio-only files and still images', async () => {
    const wav = path.join(dir, 'a.wav');
    const png = path.join(dir, 'a.png');
    await runProcess(bins.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=0.5', wav], { timeoutMs: 30_000, what: 'encode' });
    await runProcess(bins.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=32x32:duration=0.1', '-frames:v', '1', png], { timeoutMs: 30_000, what: 'encode' });
    await expect(probeVideo(bins, wav)).rejects.toMatchObject({ code: 'NOT_A_VIDEO', message: expect.stringMatching(/no video stream/) });
    await expect(probeVideo(bins, png)).rejects.toMatchObject({ code: 'NOT_A_VIDEO', message: expect.stringMatching(/still image/) });
  });

  it('handles paths with spaces and unicode', async () => {
    const f = path.join(dir, 'my clips', 'vidéo 日本 (1).mp4');
    mkdirSync(path.dirname(f), { recursive: true });
    copyFileSync(cfr, f);
    expect((await probeVideo(bins, f)).frameCount).toBe(40);
  });

  it('bounds child processes: a hung child is killed on timeout and on abort', async () => {
    await expect(runProcess('sleep', ['30'], { timeoutMs: 200, what: 'Sleeping' })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const ac = new AbortController();
    const p = runProcess('sleep', ['30'], { timeoutMs: 60_000, signal: ac.signal, what: 'Sleeping' });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
