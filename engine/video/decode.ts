// Decodes exactly the sampled frames in ONE ffmpeg process: a `select` filter keeps the wanted frame numbers,
// `showinfo` reports each kept frame's timestamp, and the frames stream out as raw RGB on stdout. The same process
// can also write a small JPEG thumbnail per kept frame (a `split` branch to an image2 output).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { VideoError } from './errors.ts';
import type { FfmpegBinaries } from './ffmpeg-path.ts';

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

/** select expression for a list of frame numbers; commas are escaped for the filtergraph parser. */
export function selectExpression(frameNumbers: readonly number[]): string {
  return frameNumbers.map((n) => `eq(n\\,${n})`).join('+');
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

export function decodeFrames(bins: FfmpegBinaries, file: string, opts: DecodeOptions): Promise<DecodeResult> {
  const total = opts.frameNumbers.length;
  const frameBytes = opts.width * opts.height * 3;
  if (total === 0) return Promise.resolve({ ptsSec: [], received: 0, elapsedMs: 0 });
  if (opts.thumbnails) mkdirSync(opts.thumbnails.dir, { recursive: true });
  const args = buildDecodeArgs(file, opts);
  const started = Date.now();
  const name = path.basename(file);

  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new VideoError('ABORTED', `Decoding ${name} was cancelled`));
      return;
    }
    const child = spawn(bins.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const frame = new Uint8Array(frameBytes);
    let filled = 0;
    let received = 0;
    const ptsSec = new Array<number>(total).fill(Number.NaN);
    let timeBase = 0;
    let errTail = '';
    let errLine = '';
    let settled = false;
    let callbackError: unknown = null;

    const stallMs = opts.stallTimeoutMs ?? 120_000;
    let stallTimer = setTimeout(onStall, stallMs);
    function alive() {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(onStall, stallMs);
    }
    function onStall() {
      child.kill('SIGKILL');
      finish(() => reject(new VideoError('TIMEOUT', `Decoding ${name}: ffmpeg made no progress for ${Math.round(stallMs / 1000)} s and was stopped`)));
    }
    function onAbort() {
      child.kill('SIGKILL');
      finish(() => reject(new VideoError('ABORTED', `Decoding ${name} was cancelled`)));
    }
    function finish(fn: () => void) {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      alive();
      if (settled) return;
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          filled = 0;
          if (received < total) {
            try {
              opts.onFrame(received, frame);
            } catch (e) {
              callbackError = e;
              child.kill('SIGKILL');
              finish(() => reject(e));
              return;
            }
          }
          received++;
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      alive();
      const text = errLine + chunk.toString('utf8');
      const lines = text.split(/\r?\n|\r/);
      errLine = lines.pop() ?? '';
      for (const line of lines) {
        const m = SHOWINFO.exec(line);
        const tb = m ? null : TIME_BASE.exec(line);
        if (m) {
          const k = Number(m[1]);
          const t = timeBase > 0 && m[2] !== 'NOPTS' ? Number(m[2]) * timeBase : Number(m[3]);
          if (k < total) ptsSec[k] = t;
        } else if (tb) {
          if (Number(tb[2]) > 0) timeBase = Number(tb[1]) / Number(tb[2]);
        } else if (line.trim() && !/^\s*frame=/.test(line)) {
          errTail = (errTail + '\n' + line).slice(-4000);
        }
      }
    });
    child.on('error', (e) => finish(() => reject(new VideoError('FFMPEG_NOT_FOUND', `could not start ${bins.ffmpeg}: ${e.message}`, { cause: e }))));
    child.on('close', (code) => {
      if (callbackError) return;
      finish(() => {
        if (code !== 0) {
          const why = errTail.split('\n').filter((l) => /error|invalid|fail/i.test(l)).slice(-3).join('; ') || errTail.split('\n').slice(-2).join('; ');
          reject(new VideoError('DECODE_FAILED', `ffmpeg failed decoding ${name} (exit ${code}): ${why.trim()}`));
          return;
        }
        if (received === 0) {
          reject(new VideoError('DECODE_FAILED', `ffmpeg decoded no frames from ${name}`));
          return;
        }
        resolve({ ptsSec, received: Math.min(received, total), elapsedMs: Date.now() - started });
      });
    });
  });
}
