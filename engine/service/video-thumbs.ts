// Small JPEGs for the library (a poster) and the filmstrip (one per sampled frame), made in one ffmpeg process each
// and kept on disk so reopening a video costs nothing.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FfmpegBinaries } from '../core/video/ffmpeg-path.ts';
import type { VideoProbe } from '../core/video/probe.ts';
import { selectExpression } from '../core/video/decode.ts';
import { runProcess } from '../core/video/run-process.ts';
import { sampleFrameIndices } from '../core/video/sampling.ts';

const THUMB_WIDTH = 192;

export async function makePoster(bins: FfmpegBinaries, probe: VideoProbe, out: string): Promise<boolean> {
  if (existsSync(out)) return true;
  await fs.mkdir(path.dirname(out), { recursive: true });
  const at = Math.max(0, Math.min(probe.durationSec * 0.1, probe.durationSec - 0.1));
  const tmp = `${out}.part.jpg`;
  const r = await runProcess(
    bins.ffmpeg,
    ['-v', 'error', '-nostdin', '-ss', at.toFixed(3), '-i', probe.path, '-frames:v', '1', '-vf', 'scale=320:-2', '-q:v', '4', '-y', tmp],
    { timeoutMs: 30_000, what: `making a poster for ${path.basename(probe.path)}` },
  );
  if (r.code !== 0 || !existsSync(tmp)) return false;
  await fs.rename(tmp, out);
  return true;
}

export interface Thumb {
  index: number;
  timeSec: number;
  name: string;
  /** The file could not supply this frame (cut off): its thumbnail, like the model's input, is the last decoded frame. */
  missing: boolean;
}

const MissingMeta = z.object({ missing: z.array(z.number().int()) });

/**
 * Uniformly sampled frames (the same indices the engine samples) as thumbnails named f<N>-<i>.jpg, with f<N>.json
 * recording which of them the file could not supply.
 */
export async function sampleThumbnails(bins: FfmpegBinaries, probe: VideoProbe, frames: number, dir: string): Promise<Thumb[]> {
  const indices = sampleFrameIndices(probe.frameCount, probe.fps, { mode: 'uniform', frames });
  const thumbs = indices.map((frameIndex, i) => ({ index: i, timeSec: probe.fps > 0 ? frameIndex / probe.fps : 0, name: `f${frames}-${i}.jpg`, frameIndex, missing: false }));
  const metaFile = path.join(dir, `f${frames}.json`);
  const done = (missing: ReadonlySet<number>) => thumbs.map(({ frameIndex: _f, ...t }) => ({ ...t, missing: missing.has(t.index) }));
  if (thumbs.every((t) => existsSync(path.join(dir, t.name)))) {
    const meta = await fs.readFile(metaFile, 'utf8').then((j) => MissingMeta.safeParse(JSON.parse(j)), () => null);
    if (meta?.success) return done(new Set(meta.data.missing));
  }
  await fs.mkdir(dir, { recursive: true });
  const tmpDir = await fs.mkdtemp(path.join(dir, '.tmp-'));
  try {
    const unique = [...new Set(indices)];
    // Grouped: ffmpeg refuses a flat sum of more than 100 terms (the filmstrip failed at 128 frames and up).
    const select = selectExpression(unique);
    const r = await runProcess(
      bins.ffmpeg,
      ['-v', 'error', '-nostdin', '-i', probe.path, '-an', '-vf', `select='${select}',scale=${THUMB_WIDTH}:-2`, '-vsync', '0', '-q:v', '5', path.join(tmpDir, '%d.jpg')],
      { timeoutMs: 10 * 60_000, what: `making thumbnails for ${path.basename(probe.path)}` },
    );
    if (r.code !== 0) throw new Error(`ffmpeg could not make thumbnails: ${r.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${r.code}`}`);
    const missing = new Set<number>();
    for (const t of thumbs) {
      const k = unique.indexOf(t.frameIndex) + 1;
      let src = path.join(tmpDir, `${k}.jpg`);
      // A truncated stream can yield fewer frames than probed: reuse the last one that exists.
      if (!existsSync(src)) missing.add(t.index);
      for (let j = k; j > 0 && !existsSync(src); j--) src = path.join(tmpDir, `${j - 1}.jpg`);
      if (existsSync(src)) await fs.copyFile(src, path.join(dir, t.name));
    }
    await fs.writeFile(metaFile, JSON.stringify({ missing: [...missing] }));
    return done(missing);
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}
