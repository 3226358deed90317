// Finds the ffmpeg (and ffprobe) binaries. Order: explicit setting / FFMPEG_PATH -> the optional ffmpeg-static
// package -> `ffmpeg` on PATH. ffmpeg-static is an optionalDependency whose install may have failed, so its module
// may be missing, may throw on require, or may name a file that does not exist.
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { VideoError } from './errors.ts';

export type FfmpegSource = 'setting' | 'FFMPEG_PATH' | 'ffmpeg-static' | 'PATH';

export interface FfmpegBinaries {
  ffmpeg: string;
  /** null when no ffprobe was found; probing then falls back to parsing `ffmpeg -i`. */
  ffprobe: string | null;
  source: FfmpegSource;
}

export interface ResolveFfmpegOptions {
  /** The app setting (Settings.ffmpegPath). */
  ffmpegPath?: string | null;
  env?: NodeJS.ProcessEnv;
  /** Injected for tests; defaults to require('ffmpeg-static'). Returns the path the package names, or null. */
  loadFfmpegStatic?: () => string | null;
  platform?: NodeJS.Platform;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function exeNames(base: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform !== 'win32') return [base];
  const exts = (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean);
  return [base, ...exts.map((e) => base + e.toLowerCase()), ...exts.map((e) => base + e)];
}

/** Like `which`: the first executable named `name` in PATH, or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const candidate of exeNames(name, platform, env)) {
      const full = path.join(dir, candidate);
      if (isExecutableFile(full)) return full;
    }
  }
  return null;
}

function defaultLoadFfmpegStatic(): string | null {
  const require = createRequire(import.meta.url);
  const value: unknown = require('ffmpeg-static');
  return typeof value === 'string' ? value : null;
}

/** Inside a packaged Electron app the binary is unpacked next to the asar archive. */
function unpackedAsarPath(p: string): string {
  return p.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
}

function ffprobeBeside(ffmpeg: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  const dir = path.dirname(ffmpeg);
  const base = path.basename(ffmpeg).replace(/ffmpeg/i, 'ffprobe');
  if (base === path.basename(ffmpeg)) return null;
  for (const candidate of exeNames(base.replace(/\.exe$/i, ''), platform, env)) {
    const full = path.join(dir, candidate);
    if (isExecutableFile(full)) return full;
  }
  return null;
}

export function resolveFfmpeg(options: ResolveFfmpegOptions = {}): FfmpegBinaries {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const tried: string[] = [];
  const found = (ffmpeg: string, source: FfmpegSource): FfmpegBinaries => ({
    ffmpeg,
    ffprobe: ffprobeBeside(ffmpeg, platform, env) ?? findOnPath('ffprobe', env, platform),
    source,
  });

  const explicit: [string | null | undefined, FfmpegSource][] = [
    [options.ffmpegPath, 'setting'],
    [env.FFMPEG_PATH, 'FFMPEG_PATH'],
  ];
  for (const [value, source] of explicit) {
    if (!value) continue;
    if (isExecutableFile(value)) return found(value, source);
    // A path the user set explicitly that does not work is an error, not something to skip silently.
    throw new VideoError(
      'FFMPEG_NOT_FOUND',
      `ffmpeg not found: the ${source === 'setting' ? 'ffmpeg path setting' : 'FFMPEG_PATH environment variable'} names "${value}", which is not an executable file.`,
    );
  }
  tried.push('the ffmpeg path setting / FFMPEG_PATH (not set)');

  let staticPath: string | null = null;
  try {
    staticPath = (options.loadFfmpegStatic ?? defaultLoadFfmpegStatic)();
  } catch {
    staticPath = null;
  }
  if (staticPath) {
    const unpacked = unpackedAsarPath(staticPath);
    if (isExecutableFile(unpacked)) return found(unpacked, 'ffmpeg-static');
    tried.push(`the ffmpeg-static package (its binary ${staticPath} does not exist)`);
  } else {
    tried.push('the ffmpeg-static package (not installed)');
  }

  const onPath = findOnPath('ffmpeg', env, platform);
  if (onPath) return found(onPath, 'PATH');
  tried.push('`ffmpeg` on PATH (not found)');

  throw new VideoError(
    'FFMPEG_NOT_FOUND',
    `ffmpeg not found. Tried ${tried.join(', ')}. Install ffmpeg (e.g. \`apt install ffmpeg\`, \`brew install ffmpeg\`, ` +
      `or from ffmpeg.org), or set its path in Settings or in the FFMPEG_PATH environment variable.`,
  );
}
