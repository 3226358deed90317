// Generates the small test clips at test time (lavfi + libx264, lossless so pixels survive encoding). Each frame
// carries its frame number as 8 black/white blocks along the bottom (bit b at x in [16b, 16b+16)), plus a drawtext
// label "n pts" where a font exists, so tests can tell exactly which frames were decoded.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

function run(args: string[]): void {
  execFileSync(FFMPEG, ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function bitsSource(frames: number, rate: number, w = 128, h = 96): string {
  const geq = `geq=lum='if(lt(Y\\,${h - 32})\\,128\\,if(mod(floor(N/pow(2\\,floor(X/16)))\\,2)\\,235\\,16))':cb=128:cr=128`;
  const label = existsSync(FONT) ? `,drawtext=fontfile=${FONT}:text='%{n} %{pts\\:flt}':x=4:y=8:fontsize=16:fontcolor=white` : '';
  return `nullsrc=s=${w}x${h}:r=${rate}:d=${frames / rate},${geq}${label}`;
}

/** Constant frame rate: `frames` frames at `rate` fps. */
export function makeBitsClip(file: string, frames = 40, rate = 10, opts: { gop?: number; audio?: boolean } = {}): string {
  // With a GOP, use B-frames and a short keyframe interval, as real encodes have, so seeking is exercised.
  const enc = opts.gop ? ['-preset', 'veryfast', '-g', String(opts.gop), '-bf', '3'] : ['-preset', 'ultrafast'];
  const audioIn = opts.audio ? ['-f', 'lavfi', '-i', `sine=d=${frames / rate}`, '-c:a', 'aac', '-shortest'] : [];
  run(['-f', 'lavfi', '-i', bitsSource(frames, rate), ...audioIn, '-c:v', 'libx264', ...enc, '-qp', '0', '-pix_fmt', 'yuv420p', file]);
  return file;
}

/** Variable frame rate: frames 0-19 every 0.1 s, then every 0.3 s (40 frames, 7.7 s to the last). */
export function vfrTime(n: number): number {
  return (n < 20 ? n : 20 + (n - 20) * 3) / 10;
}
export function makeVfrClip(file: string): string {
  const src = `${bitsSource(40, 10)},settb=1/10,setpts='if(lt(N\\,20)\\,N\\,20+(N-20)*3)'`;
  run(['-f', 'lavfi', '-i', src, '-vsync', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-video_track_timescale', '1000', file]);
  return file;
}

/** The CFR clip with a display matrix that rotates it (the mp4 `rotate` tag, as phones write it). */
export function makeRotatedClip(src: string, file: string): string {
  run(['-i', src, '-c', 'copy', '-metadata:s:v', 'rotate=90', file]);
  return file;
}

/** A larger clip (with audio) for cancellation: 640x360, 30 fps. */
export function makeBigClip(file: string, seconds: number): string {
  run(['-f', 'lavfi', '-i', `testsrc=size=640x360:rate=30:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=d=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file]);
  return file;
}

/** Reads the frame number from a preprocessed frame (mean = std = 0.5, model size S x S) of a W x H bits clip. */
export function readFrameNumber(pv: Float32Array, frame: number, size: number, sample: (bit: number) => [number, number]): number {
  let n = 0;
  for (let b = 0; b < 8; b++) {
    const [x, y] = sample(b);
    const v = pv[frame * 3 * size * size + y * size + x] * 0.5 + 0.5; // red channel
    if (v > 0.5) n |= 1 << b;
  }
  return n;
}

export function tmpName(dir: string, name: string): string {
  return path.join(dir, name);
}
