// Runs one ffmpeg process that writes raw frames of a fixed size to stdout, hands each complete frame to a
// callback as it arrives, passes stderr lines to a parser, and kills the child on abort or when it stalls.
import { spawn } from 'node:child_process';
import { VideoError } from './errors.ts';

export interface StreamFramesOptions {
  /** Bytes per frame (w * h * 3 for rgb24). */
  frameBytes: number;
  /** Frames wanted; extra ones are ignored. */
  total: number;
  onFrame: (k: number, bytes: Uint8Array) => void;
  onStderrLine?: (line: string) => void;
  signal?: AbortSignal;
  stallTimeoutMs?: number;
  /** File name for messages. */
  name: string;
}

export interface StreamFramesResult {
  received: number;
  elapsedMs: number;
}

export function streamFrames(ffmpeg: string, args: string[], o: StreamFramesOptions): Promise<StreamFramesResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new VideoError('ABORTED', `Decoding ${o.name} was cancelled`));
      return;
    }
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const frame = new Uint8Array(o.frameBytes);
    let filled = 0;
    let received = 0;
    let errTail = '';
    let errLine = '';
    let settled = false;
    let callbackFailed = false;

    const stallMs = o.stallTimeoutMs ?? 120_000;
    let stallTimer = setTimeout(onStall, stallMs);
    function alive() {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(onStall, stallMs);
    }
    function onStall() {
      child.kill('SIGKILL');
      finish(() => reject(new VideoError('TIMEOUT', `Decoding ${o.name}: ffmpeg made no progress for ${Math.round(stallMs / 1000)} s and was stopped`)));
    }
    function onAbort() {
      child.kill('SIGKILL');
      finish(() => reject(new VideoError('ABORTED', `Decoding ${o.name} was cancelled`)));
    }
    function finish(fn: () => void) {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      o.signal?.removeEventListener('abort', onAbort);
      fn();
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      alive();
      if (settled) return;
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(o.frameBytes - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled < o.frameBytes) continue;
        filled = 0;
        if (received < o.total) {
          try {
            o.onFrame(received, frame);
          } catch (e) {
            callbackFailed = true;
            child.kill('SIGKILL');
            finish(() => reject(e));
            return;
          }
          if (settled) return; // the callback cancelled (abort): drop the rest of this chunk
        }
        received++;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      alive();
      const lines = (errLine + chunk.toString('utf8')).split(/\r?\n|\r/);
      errLine = lines.pop() ?? '';
      for (const line of lines) {
        o.onStderrLine?.(line);
        if (line.trim() && !/^\s*frame=|Parsed_showinfo/.test(line)) errTail = (errTail + '\n' + line).slice(-4000);
      }
    });
    child.on('error', (e) => finish(() => reject(new VideoError('FFMPEG_NOT_FOUND', `could not start ${ffmpeg}: ${e.message}`, { cause: e }))));
    child.on('close', (code) => {
      if (callbackFailed) return;
      finish(() => {
        if (code !== 0) {
          const lines = errTail.split('\n');
          const why = lines.filter((l) => /error|invalid|fail/i.test(l)).slice(-3).join('; ') || lines.slice(-2).join('; ');
          reject(new VideoError('DECODE_FAILED', `ffmpeg failed decoding ${o.name} (exit ${code}): ${why.trim()}`));
          return;
        }
        resolve({ received: Math.min(received, o.total), elapsedMs: Date.now() - started });
      });
    });
  });
}
