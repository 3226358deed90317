// The ffmpeg path setting names a program the service will run, so a token holder must not be able to make it run
// anything else: only an absolute path to an executable file named ffmpeg is considered, and it is accepted only if
// `ffmpeg -version` (a fixed argument, no shell, a time limit) says it is ffmpeg. Other files are never executed.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ServiceError } from '../service-context.ts';

const NAME = /^ffmpeg(\.exe)?$/i;
/** Paths already identified, with the file they were (a replaced file is checked again). */
const verified = new Map<string, string>();

export async function checkFfmpegSetting(ffmpegPath: string | null | undefined): Promise<void> {
  if (ffmpegPath === null || ffmpegPath === undefined || ffmpegPath === '') return;
  const refuse = (why: string) => new ServiceError('invalid_request', `ffmpeg path ${JSON.stringify(ffmpegPath)} is not an ffmpeg: ${why}`);
  if (!path.isAbsolute(ffmpegPath)) throw refuse('give the absolute path of the ffmpeg program');
  if (!NAME.test(path.basename(ffmpegPath))) throw refuse('the program must be named ffmpeg');
  const st = await fs.stat(ffmpegPath).catch(() => null);
  if (!st?.isFile()) throw refuse('no such file');
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  if (verified.get(ffmpegPath) === key) return;
  const out = await new Promise<string>((resolve) => {
    execFile(ffmpegPath, ['-version'], { timeout: 5000, maxBuffer: 256 * 1024, windowsHide: true }, (err, stdout) => resolve(err ? '' : String(stdout)));
  });
  if (!/^ffmpeg version /.test(out)) {
    throw new ServiceError('invalid_request', `ffmpeg path ${JSON.stringify(ffmpegPath)} does not identify itself as ffmpeg (\`-version\` printed ${JSON.stringify(out.slice(0, 80))})`);
  }
  verified.set(ffmpegPath, key);
}
