// Small JPEGs for the library (a poster, one frame when a video is opened) and the filmstrip. The filmstrip's come
// from the same sampled-video cache entry as the model's frames (sampleVideo): one decode per video + sampling serves
// both, with one frame-index computation, so each thumbnail shows exactly the frame the model sees at its time.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { FfmpegBinaries } from '../core/video/ffmpeg-path.ts';
import type { VideoPreprocess } from '../core/video/preprocess-config.ts';
import type { VideoProbe } from '../core/video/probe.ts';
import { runProcess } from '../core/video/run-process.ts';
import { sampledVideoKey, sampleVideo, type SampledVideo, type SampleVideoOptions } from '../core/video/sample-video.ts';

export async function makePoster(bins: FfmpegBinaries, probe: VideoProbe, out: string): Promise<boolean> {
  if (existsSync(out)) return true;
  await fs.mkdir(path.dirname(out), { recursive: true });
  // A representative frame: from the middle of the video (an intro or fade at the start is often black), the most
  // typical of the next frames (ffmpeg's thumbnail filter), so a cut or a dark frame right there is not the poster.
  const at = Math.max(0, Math.min(probe.durationSec * 0.5, probe.durationSec - 0.1));
  const tmp = `${out}.part.jpg`;
  const r = await runProcess(
    bins.ffmpeg,
    ['-v', 'error', '-nostdin', '-ss', at.toFixed(3), '-i', probe.path, '-frames:v', '1', '-vf', 'thumbnail=25,scale=320:-2', '-q:v', '4', '-y', tmp],
    { timeoutMs: 30_000, what: `making a poster for ${path.basename(probe.path)}` },
  );
  if (r.code !== 0 || !existsSync(tmp)) return false;
  await fs.rename(tmp, out);
  return true;
}

export interface Thumb {
  index: number;
  timeSec: number;
  name: string;
  /** The file could not supply this frame (cut off): its thumbnail, like the model's input, is the last decoded frame. */
  missing: boolean;
}

/** Links (or copies, across filesystems) `src` to `dst`, replacing what is there. */
async function place(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  await fs.rm(tmp, { force: true });
  await fs.link(src, tmp).catch(() => fs.copyFile(src, tmp));
  await fs.rename(tmp, dst);
}

/** Filmstrip requests for the same file version + sampling share one run (the renderer may ask twice quickly). */
const running = new Map<string, Promise<SampledVideo>>();

function sampleShared(file: string, options: SampleVideoOptions): Promise<SampledVideo> {
  const key = sampledVideoKey(file, options);
  if (!key) return sampleVideo(file, options);
  let run = running.get(key);
  if (!run) {
    run = sampleVideo(file, options).finally(() => running.delete(key));
    running.set(key, run);
  }
  return run;
}

/**
 * The filmstrip of `frames` uniformly sampled frames, as the engine samples them for `preprocess`'s model: the cache
 * entry's thumbnails, placed in `dir` as f<N>-<i>.jpg for the media server.
 */
export async function filmstrip(bins: FfmpegBinaries, file: string, frames: number, preprocess: VideoPreprocess, dir: string): Promise<Thumb[]> {
  const s = await sampleShared(file, { binaries: bins, sampling: { mode: 'uniform', frames }, preprocess });
  await fs.mkdir(dir, { recursive: true });
  const missing = new Set(s.missing);
  const thumbs = s.frameTimes.map((timeSec, i) => ({ index: i, timeSec, name: `f${frames}-${i}.jpg`, missing: missing.has(i) }));
  await Promise.all(thumbs.map((t, i) => place(s.thumbnails[i], path.join(dir, t.name))));
  return thumbs;
}
