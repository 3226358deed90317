// Decodes exactly the sampled frames in ONE ffmpeg process: a `select` filter keeps the wanted frame numbers,
// `showinfo` reports each kept frame's timestamp, and the frames stream out as raw RGB on stdout. The same process
// can also write a small JPEG thumbnail per kept frame (a `split` branch to an image2 output).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { VideoError } from './errors.ts';
import type { FfmpegBinaries } from './ffmpeg-path.ts';
import { streamFrames } from './stream-frames.ts';

export interface DecodeOptions {
  /** Source frame numbers to keep, ascending and distinct. */
  frameNumbers: number[];
  /** Size of the frames ffmpeg delivers (the display size after rotation, unless scaled on purpose). */
  width: number;
  height: number;
  /** Scale in ffmpeg (swscale bicubic, Keys a = -0.5) instead of delivering the native size. */
  ffmpegScale?: boolean;
  /** Write `<dir>/<k>.jpg` (k = 0-based position among the kept frames), `width` pixels wide. */
  thumbnails?: { dir: string; width: number };
  signal?: AbortSignal;
  /** Kill ffmpeg when it shows no sign of life for this long (ms). */
  stallTimeoutMs?: number;
  /** Called for each kept frame in order, with its packed RGB bytes (the buffer is reused afterwards: copy to keep). */
  onFrame: (k: number, rgb: Uint8Array) => void;
}

export interface DecodeResult {
  /** Timestamp (s, from the file start) of each kept frame, as ffmpeg reported it; NaN where unknown. */
  ptsSec: number[];
  /** Number of kept frames that arrived (less than requested only when the stream ended early). */
  received: number;
  /** ffmpeg's own wall time (ms). */
  elapsedMs: number;
}

/**
 * select expression for a list of frame numbers; commas are escaped for the filtergraph parser. ffmpeg's expression
 * parser refuses a sum of more than 100 terms, so terms are summed in parenthesized groups of at most 50.
 */
export function selectExpression(frameNumbers: readonly number[]): string {
  const group = (terms: string[]): string => {
    if (terms.length <= 50) return terms.join('+');
    const size = Math.ceil(terms.length / 50);
    const parts: string[] = [];
    for (let i = 0; i < terms.length; i += size) parts.push(`(${group(terms.slice(i, i + size))})`);
    return parts.join('+');
  };
  return group(frameNumbers.map((n) => `eq(n\\,${n})`));
}

export function buildDecodeArgs(file: string, opts: DecodeOptions): string[] {
  const { width, height } = opts;
  const scale = opts.ffmpegScale
    ? `scale=${width}:${height}:flags=bicubic+accurate_rnd+full_chroma_int:param0=0:param1=0.5`
    : `scale=${width}:${height}`;
  const head = `[0:v:0]select='${selectExpression(opts.frameNumbers)}',showinfo`;
  let graph: string;
  if (opts.thumbnails) {
    const tw = Math.max(16, Math.round(opts.thumbnails.width / 2) * 2);
    graph = `${head},split=2[a][b];[a]${scale},format=rgb24[raw];[b]scale=${tw}:-2:flags=area[th]`;
  } else {
    graph = `${head},${scale},format=rgb24[raw]`;
  }
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'info', '-i', file, '-filter_complex', graph];
  args.push('-map', '[raw]', '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  if (opts.thumbnails) {
    args.push('-map', '[th]', '-vsync', '0', '-c:v', 'mjpeg', '-q:v', '5', '-start_number', '0', '-f', 'image2',
      path.join(opts.thumbnails.dir, '%d.jpg'));
  }
  return args;
}

// showinfo's pts_time has only 6 significant digits (0.01 s after 3 hours), so times come from pts x time_base.
const SHOWINFO = /Parsed_showinfo.*\bn:\s*(\d+)\s+pts:\s*(-?\d+|NOPTS)\s+pts_time:\s*(\S+)/;
const TIME_BASE = /Parsed_showinfo.*config in time_base:\s*(\d+)\/(\d+)/;

export async function decodeFrames(bins: FfmpegBinaries, file: string, opts: DecodeOptions): Promise<DecodeResult> {
  const total = opts.frameNumbers.length;
  if (total === 0) return { ptsSec: [], received: 0, elapsedMs: 0 };
  if (opts.thumbnails) mkdirSync(opts.thumbnails.dir, { recursive: true });
  const ptsSec = new Array<number>(total).fill(Number.NaN);
  let timeBase = 0;
  const { received, elapsedMs } = await streamFrames(bins.ffmpeg, buildDecodeArgs(file, opts), {
    frameBytes: opts.width * opts.height * 3,
    total,
    onFrame: opts.onFrame,
    signal: opts.signal,
    stallTimeoutMs: opts.stallTimeoutMs,
    name: path.basename(file),
    onStderrLine: (line) => {
      const m = SHOWINFO.exec(line);
      if (m) {
        const k = Number(m[1]);
        if (k < total) ptsSec[k] = timeBase > 0 && m[2] !== 'NOPTS' ? Number(m[2]) * timeBase : Number(m[3]);
        return;
      }
      const tb = TIME_BASE.exec(line);
      if (tb && Number(tb[2]) > 0) timeBase = Number(tb[1]) / Number(tb[2]);
    },
  });
  if (received === 0) throw new VideoError('DECODE_FAILED', `ffmpeg decoded no frames from ${path.basename(file)}`);
  return { ptsSec, received, elapsedMs };
}
