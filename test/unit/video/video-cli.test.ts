// `sparsevila video` on a cut-off file: it still prepares the frames, and says how many were missing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { videoCommand } from '../../../engine/cli/video.ts';
import { FFMPEG, makeBitsClip } from './clips.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'video-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sparsevila video', { timeout: 60_000 }, () => {
  it('reports missingFrames for a cut-off file (JSON and text)', async () => {
    const clip = makeBitsClip(path.join(dir, 'clip.mp4'));
    const indexed = path.join(dir, 'faststart.mp4');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', clip, '-c', 'copy', '-movflags', '+faststart', indexed]);
    const bytes = readFileSync(indexed);
    const cut = path.join(dir, 'cut.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => { out.push(String(s)); });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await videoCommand([cut, '--frames', '8', '--no-cache', '--json'])).toBe(0);
      const j = JSON.parse(out.join('\n'));
      expect(j.missingFrames).toBeGreaterThan(0);
      out.length = 0;
      expect(await videoCommand([cut, '--frames', '8', '--no-cache'])).toBe(0);
      expect(out.join('\n')).toMatch(/warning: \d+ sampled frame\(s\) could not be decoded/);
      out.length = 0;
      expect(await videoCommand([clip, '--frames', '8', '--no-cache', '--json'])).toBe(0);
      expect(JSON.parse(out.join('\n')).missingFrames).toBe(0);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
