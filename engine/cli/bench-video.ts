// `sparsevila bench-video`: seconds to sample N frames from a long 1080p clip, our pipeline (select / seek /
// auto) vs a naive one-ffmpeg-process-per-frame extraction, all producing the same model-ready pixel values.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { streamFrames } from '../core/video/stream-frames.ts';
import { resolveFfmpeg, type FfmpegBinaries } from '../core/video/ffmpeg-path.ts';
import { normalizeInto, resizeForModel } from '../core/video/preprocess.ts';
import { LLAVA_ONEVISION_PREPROCESS } from '../core/video/preprocess-config.ts';
import { prepareVideo } from '../core/video/prepare-video.ts';
import { probeVideo, type VideoProbe } from '../core/video/probe.ts';
import { uniformFrameIndices } from '../core/video/sampling.ts';
import { parseCommandArgs, str, wantsHelp, type CommandOptions } from './args.ts';

export const BENCH_VIDEO_OPTIONS: CommandOptions = { strings: ['clip', 'frames', 'methods'], booleans: ['json'] };

export const BENCH_VIDEO_HELP = `usage: sparsevila bench-video [--clip FILE] [--frames 32,256] [--methods select,seek,auto,naive] [--json]
Without --clip, generates (once) a 10-minute 1920x1080 30 fps H.264 clip (lavfi testsrc, GOP 250) under
${path.join(os.tmpdir(), 'sparsevila-bench')}.`;

function benchClip(bins: FfmpegBinaries): string {
  const dir = path.join(os.tmpdir(), 'sparsevila-bench');
  const file = path.join(dir, 'clip-1080p-600s.mp4');
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const partial = path.join(dir, 'clip-1080p-600s.partial.mp4');
  console.error(`generating ${file} (10 min 1080p, once; takes a few minutes) ...`);
  execFileSync(bins.ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=1920x1080:rate=30:duration=600',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '250', partial], { stdio: 'inherit' });
  renameSync(partial, file);
  return file;
}

/** The naive baseline: one ffmpeg process per frame (input-side seek, one frame out), then the same preprocessing. */
async function naive(bins: FfmpegBinaries, probe: VideoProbe, indices: number[]): Promise<Float32Array> {
  const cfg = LLAVA_ONEVISION_PREPROCESS;
  const per = 3 * cfg.width * cfg.height;
  const out = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const t = Math.max(0, probe.videoStartOffsetSec + (indices[i] - 0.5) / probe.fps);
    const args = ['-v', 'error', '-nostdin', '-ss', t.toFixed(6), '-i', probe.path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
    await streamFrames(bins.ffmpeg, args, {
      frameBytes: probe.width * probe.height * 3,
      total: 1,
      name: path.basename(probe.path),
      onFrame: (_, rgb) => normalizeInto(resizeForModel(rgb, probe.width, probe.height, cfg), cfg, out, i * per),
    });
  }
  return out;
}

/** CPU seconds used by this process and its waited-for children (Linux /proc; null elsewhere). */
function cpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the name: utime stime cutime cstime are the 12th..15th (0-based 11..14), in clock ticks.
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return ticks / 100;
  } catch {
    return null;
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function benchVideoCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(BENCH_VIDEO_HELP);
    return 0;
  }
  const a = parseCommandArgs(argv, BENCH_VIDEO_OPTIONS, BENCH_VIDEO_HELP);
  const get = (name: string) => str(a, name);
  const bins = resolveFfmpeg();
  const clip = get('clip') ?? benchClip(bins);
  const counts = (get('frames') ?? '32,256').split(',').map(Number);
  const methods = (get('methods') ?? 'select,seek,auto,naive').split(',');
  const probe = await probeVideo(bins, clip);
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const rows: { frames: number; method: string; seconds: number; cpuSeconds: number | null; maxDiffVsFirst: number }[] = [];
  console.error(`clip: ${clip} (${probe.width}x${probe.height}, ${probe.fps} fps, ${probe.durationSec.toFixed(1)} s, ${probe.frameCount} frames, ${probe.codec})`);
  console.error(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ffmpeg ${bins.ffmpeg}`);
  for (const n of counts) {
    let reference: Float32Array | null = null;
    for (const method of methods) {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-video-'));
      const t0 = performance.now();
      const c0 = cpuSeconds();
      let pv: Float32Array;
      if (method === 'naive') {
        pv = await naive(bins, probe, uniformFrameIndices(probe.frameCount, n));
      } else {
        const strategy = method as 'select' | 'seek' | 'auto';
        const v = await prepareVideo(clip, { binaries: bins, cacheDir: null, thumbnailDir: tmp, strategy, sampling: { mode: 'uniform', frames: n } });
        pv = v.pixelValues;
        if (strategy === 'auto') console.error(`  auto chose ${v.strategy}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const c1 = cpuSeconds();
      const cpu = c0 === null || c1 === null ? null : Number((c1 - c0).toFixed(2));
      rmSync(tmp, { recursive: true, force: true });
      reference ??= pv;
      const row = { frames: n, method, seconds: Number(seconds.toFixed(2)), cpuSeconds: cpu, maxDiffVsFirst: Number(maxAbsDiff(reference, pv).toFixed(6)) };
      rows.push(row);
      console.error(`  ${n} frames  ${method.padEnd(6)} ${seconds.toFixed(2)} s wall, ${cpu ?? '?'} s CPU  (max |Δ| vs ${methods[0]}: ${row.maxDiffVsFirst})`);
    }
  }
  if (a.flags.has('json')) console.log(JSON.stringify({ clip, probe, load, rows }, null, 2));
  else {
    console.log(`load average before: ${load}`);
    console.log('| frames | method | wall s | CPU s (ours + ffmpeg) |');
    console.log('| --- | --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.frames} | ${r.method} | ${r.seconds} | ${r.cpuSeconds ?? '?'} |`);
  }
  return 0;
}
