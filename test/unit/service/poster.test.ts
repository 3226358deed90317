// Issue 16 item 10: the library poster is a representative frame, not a black intro frame from 10% in.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { probeVideo } from '../../../engine/core/video/probe.ts';
import { makePoster } from '../../../engine/service/video-thumbs.ts';
import { FFMPEG, tmpDir } from './fixture.ts';

const work = tmpDir('sv-poster-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Mean luma (0-255) of an image. */
function meanLuma(file: string): number {
  const gray = execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  return gray.reduce((a, b) => a + b, 0) / gray.length;
}

describe('library poster', () => {
  it('a video with a 4 s black intro of 10 s gets a poster that is not black', async () => {
    const clip = path.join(work, 'intro.mp4');
    execFileSync(FFMPEG, [
      '-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=320x240:r=10:d=4', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=6',
      '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', clip,
    ]);
    const bins = resolveFfmpeg();
    const out = path.join(work, 'poster.jpg');
    expect(await makePoster(bins, await probeVideo(bins, clip), out)).toBe(true);
    expect(meanLuma(out)).toBeGreaterThan(40);
  }, 60_000);
});
