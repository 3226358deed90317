// Time the app's video steps for one file, with frames decoded once per video + sampling (the filmstrip fills the
// shared cache; conversations and re-asks read it, then memory) against decoding at every step (no cache).
// Steps: the filmstrip when the video opens, conversation 1's first question, conversation 2's, a re-ask with other
// settings. Usage: npx tsx scripts/measure-decode-once.ts <video> [--frames 64]
// A test clip: ffmpeg -f lavfi -i testsrc=size=1280x720:rate=30:duration=60 -c:v libx264 -preset ultrafast -pix_fmt yuv420p testsrc60.mp4
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveFfmpeg } from '../engine/core/video/ffmpeg-path.ts';
import { clearPreparedVideos, prepareVideo } from '../engine/core/video/prepare-video.ts';
import { filmstrip } from '../engine/service/video-thumbs.ts';
import { LLAVA_ONEVISION_PREPROCESS } from '../engine/core/video/preprocess-config.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, strict: true, options: { frames: { type: 'string', default: '64' } } });
const file = positionals[0];
const frames = Number(values.frames);
if (!file || positionals.length !== 1) throw new Error('usage: measure-decode-once.ts <video> [--frames N]');
if (!Number.isInteger(frames) || frames < 1) throw new Error(`--frames expects a positive integer, got ${values.frames}`);

const bins = resolveFfmpeg();
const work = mkdtempSync(path.join(os.tmpdir(), 'decode-once-'));
const sampling = { mode: 'uniform', frames } as const;

async function flow(name: string, cacheDir: string | null): Promise<void> {
  clearPreparedVideos();
  // The service's filmstrip and the engine resolve the cache folder the same way (this variable, else the OS cache).
  if (cacheDir) process.env.SPARSEVILA_VIDEO_CACHE = cacheDir;
  const times: string[] = [];
  let total = 0;
  const step = async (label: string, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    total += ms;
    times.push(`${label} ${ms.toFixed(0)} ms`);
  };
  // As the engine process asks (engine-host/chat-sessions.ts).
  const engine = () => prepareVideo(file, { binaries: bins, cacheDir: cacheDir === null ? null : undefined, sampling, thumbnailWidth: 0 });
  await step('filmstrip', () =>
    cacheDir === null
      ? prepareVideo(file, { binaries: bins, cacheDir: null, sampling, thumbnailDir: path.join(work, `thumbs-${name}`) })
      : filmstrip(bins, file, frames, LLAVA_ONEVISION_PREPROCESS, path.join(work, `thumbs-${name}`)));
  await step('conversation 1', engine);
  await step('conversation 2', engine);
  await step('re-ask', engine);
  console.log(`${name}: ${times.join(' · ')} · total ${total.toFixed(0)} ms`);
}

try {
  console.log(`${path.basename(file)}, ${frames} frames, loadavg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  await flow('decode every step', null);
  await flow('decode once', path.join(work, 'cache'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
