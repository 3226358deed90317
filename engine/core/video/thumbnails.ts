// Small JPEG thumbnails of chosen frames (filmstrip, inspector) without preparing model inputs: one ffmpeg process,
// the same select + showinfo graph as decode.ts, writing <outDir>/<k>.jpg.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { selectExpression } from './decode.ts';
import { VideoError } from './errors.ts';
import type { FfmpegBinaries } from './ffmpeg-path.ts';
import type { VideoProbe } from './probe.ts';
import { runProcess } from './run-process.ts';

export interface Thumbnail {
  /** Source frame number. */
  index: number;
  timeSec: number;
  file: string;
}

export async function extractThumbnails(
  bins: FfmpegBinaries,
  probe: VideoProbe,
  frameNumbers: number[],
  opts: { outDir: string; width?: number; signal?: AbortSignal; timeoutMs?: number },
): Promise<Thumbnail[]> {
  const unique = [...new Set(frameNumbers)].sort((a, b) => a - b);
  if (unique.length === 0) return [];
  mkdirSync(opts.outDir, { recursive: true });
  const w = Math.max(16, Math.round((opts.width ?? 160) / 2) * 2);
  const graph = `[0:v:0]select='${selectExpression(unique)}',showinfo,scale=${w}:-2:flags=area[th]`;
  const res = await runProcess(
    bins.ffmpeg,
    ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-i', probe.path, '-filter_complex', graph, '-map', '[th]', '-vsync', '0',
      '-c:v', 'mjpeg', '-q:v', '5', '-start_number', '0', '-f', 'image2', path.join(opts.outDir, '%d.jpg')],
    { timeoutMs: opts.timeoutMs ?? 600_000, signal: opts.signal, what: `Making thumbnails of ${path.basename(probe.path)}` },
  );
  if (res.code !== 0) throw new VideoError('DECODE_FAILED', `ffmpeg could not make thumbnails of ${path.basename(probe.path)}: ${res.stderr.trim().split('\n').pop() ?? ''}`);
  let tb = 0;
  const times = new Map<number, number>();
  for (const line of res.stderr.split(/\r?\n/)) {
    const t = /Parsed_showinfo.*config in time_base:\s*(\d+)\/(\d+)/.exec(line);
    if (t && Number(t[2]) > 0) tb = Number(t[1]) / Number(t[2]);
    const m = /Parsed_showinfo.*\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(\S+)/.exec(line);
    if (m) times.set(Number(m[1]), tb > 0 ? Number(m[2]) * tb : Number(m[3]));
  }
  const byNumber = new Map(unique.map((n, k) => [n, k]));
  return frameNumbers.map((n) => {
    const k = byNumber.get(n)!;
    return { index: n, timeSec: times.get(k) ?? n / probe.fps, file: path.join(opts.outDir, `${k}.jpg`) };
  });
}
