import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { probeVideo } from '../../../engine/core/video/probe.ts';
import { extractThumbnails } from '../../../engine/core/video/thumbnails.ts';
import { makeBitsClip } from './clips.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'thumbs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('extractThumbnails', { timeout: 60_000 }, () => {
  it('writes one small JPEG per chosen frame, with its time, in one process', async () => {
    const bins = resolveFfmpeg();
    const probe = await probeVideo(bins, makeBitsClip(path.join(dir, 'c.mp4')));
    const thumbs = await extractThumbnails(bins, probe, [0, 13, 39, 13], { outDir: path.join(dir, 'out'), width: 64 });
    expect(thumbs.map((t) => t.index)).toEqual([0, 13, 39, 13]);
    [0, 1.3, 3.9, 1.3].forEach((s, i) => expect(thumbs[i].timeSec).toBeCloseTo(s, 9));
    for (const t of thumbs) {
      expect(existsSync(t.file)).toBe(true);
      expect(readFileSync(t.file).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
    const sizes = await probeVideo({ ...bins }, thumbs[1].file).catch((e) => e);
    expect(sizes).toMatchObject({ code: 'NOT_A_VIDEO' }); // a still image, 64 px wide
  });
});
