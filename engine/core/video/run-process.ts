// Runs a short-lived child (ffprobe, ffmpeg -i) with a hard time bound: on timeout or abort the child is killed,
// so a malformed file can never hang the app.
import { spawn } from 'node:child_process';
import { VideoError } from './errors.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** What is being done, for error messages ("probing video.mp4"). */
  what: string;
  maxOutputBytes?: number;
}

export function runProcess(cmd: string, args: string[], options: RunOptions): Promise<RunResult> {
  const max = options.maxOutputBytes ?? 8 << 20;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new VideoError('ABORTED', `${options.what} was cancelled`));
      return;
    }
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new VideoError('TIMEOUT', `${options.what} took longer than ${Math.round(options.timeoutMs / 1000)} s and was stopped`)));
    }, options.timeoutMs);
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(() => reject(new VideoError('ABORTED', `${options.what} was cancelled`)));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      if (outBytes < max) out.push(b);
      outBytes += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errBytes < max) err.push(b);
      errBytes += b.length;
    });
    child.on('error', (e) => finish(() => reject(new VideoError('FFMPEG_NOT_FOUND', `could not start ${cmd}: ${e.message}`, { cause: e }))));
    child.on('close', (code) =>
      finish(() => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })),
    );
  });
}
