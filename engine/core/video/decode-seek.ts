// Sparse sampling of long constant-frame-rate videos: instead of decoding every frame (select mode), each ffmpeg
// process opens the file once per wanted frame with an input-side seek (`-ss` before `-i`: jump to the keyframe
// before the target, decode only up to it), keeps the first frame of each segment and concatenates them into one
// raw RGB stream. A chunk of frames shares one process, so a 1024-frame request is a few dozen processes, not
// 1024. Only valid where frame n sits at n / fps (CFR); VFR files use select mode.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { VideoError } from './errors.ts';
import type { DecodeOptions, DecodeResult } from './decode.ts';
import type { FfmpegBinaries } from './ffmpeg-path.ts';
import { streamFrames } from './stream-frames.ts';

export interface SeekDecodeOptions extends DecodeOptions {
  fps: number;
  /** Seconds from the file start to the first video frame (the video stream may start after the audio). */
  videoStartSec: number;
  /** Frames per ffmpeg process (each one is an input, and so a demuxer + decoder, of that process). */
  chunkSize?: number;
}

export function buildSeekArgs(file: string, times: number[], opts: SeekDecodeOptions, thumbStart: number): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  for (const t of times) args.push('-ss', t.toFixed(6), '-i', file);
  const parts = times.map((_, k) => `[${k}:v:0]trim=end_frame=1,setpts=PTS-STARTPTS[s${k}]`);
  // One-frame segments concatenate to equal timestamps, which encoders (the thumbnails) reject: renumber them.
  const joined = times.map((_, k) => `[s${k}]`).join('') + `concat=n=${times.length}:v=1:a=0,setpts=N/TB`;
  const scale = opts.ffmpegScale
    ? `scale=${opts.width}:${opts.height}:flags=bicubic+accurate_rnd+full_chroma_int:param0=0:param1=0.5`
    : `scale=${opts.width}:${opts.height}`;
  let graph = parts.join(';') + ';' + joined;
  if (opts.thumbnails) {
    const tw = Math.max(16, Math.round(opts.thumbnails.width / 2) * 2);
    graph += `,split=2[a][b];[a]${scale},format=rgb24[raw];[b]scale=${tw}:-2:flags=area[th]`;
  } else {
    graph += `,${scale},format=rgb24[raw]`;
  }
  args.push('-filter_complex', graph, '-map', '[raw]', '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  if (opts.thumbnails) {
    args.push('-map', '[th]', '-vsync', '0', '-c:v', 'mjpeg', '-q:v', '5', '-start_number', String(thumbStart), '-f', 'image2',
      path.join(opts.thumbnails.dir, '%d.jpg'));
  }
  return args;
}

export async function decodeFramesBySeeking(bins: FfmpegBinaries, file: string, opts: SeekDecodeOptions): Promise<DecodeResult> {
  const total = opts.frameNumbers.length;
  if (total === 0) return { ptsSec: [], received: 0, elapsedMs: 0 };
  if (opts.thumbnails) mkdirSync(opts.thumbnails.dir, { recursive: true });
  const chunk = Math.max(1, opts.chunkSize ?? 16);
  const frameTime = (n: number) => opts.videoStartSec + n / opts.fps;
  const started = Date.now();
  let received = 0;
  for (let first = 0; first < total; first += chunk) {
    const numbers = opts.frameNumbers.slice(first, first + chunk);
    // Aim half a frame early so rounding in the container's timestamps cannot skip the wanted frame.
    const times = numbers.map((n) => Math.max(0, frameTime(n) - 0.5 / opts.fps));
    const r = await streamFrames(bins.ffmpeg, buildSeekArgs(file, times, opts, first), {
      frameBytes: opts.width * opts.height * 3,
      total: numbers.length,
      onFrame: (k, bytes) => opts.onFrame(first + k, bytes),
      signal: opts.signal,
      stallTimeoutMs: opts.stallTimeoutMs,
      name: path.basename(file),
    });
    received += r.received;
    if (r.received < numbers.length) break; // the stream ended early: later seeks would fail too
  }
  if (received === 0) throw new VideoError('DECODE_FAILED', `ffmpeg decoded no frames from ${path.basename(file)}`);
  return { ptsSec: opts.frameNumbers.map(frameTime), received, elapsedMs: Date.now() - started };
}
