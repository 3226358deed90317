// `sparsevila video FILE`: probe a video and prepare its frames as the model would get them (progress on stderr).
import { parseArgs, UsageError } from './args.ts';
import { loadPreprocessConfig } from '../core/video/preprocess-config.ts';
import { prepareVideo } from '../core/video/prepare-video.ts';
import type { SamplingSpec } from '../core/video/sampling.ts';

const HELP = `usage: sparsevila video FILE [--frames N] [--fps F] [--model DIR] [--strategy auto|select|seek]
                       [--cache DIR | --no-cache] [--ffmpeg PATH] [--json]
Probes FILE, samples N frames (default 32; with --fps: F frames per second, at most N), decodes them in one ffmpeg
pass, preprocesses them with the model's preprocessor_config.json (default: LLaVA-OneVision SigLIP 384) and prints
the frame times and the LLaVA-Video time instruction. Reopening the same file and settings hits the cache.`;

export async function videoCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['json', 'no-cache', 'help']);
  if (flags.has('help')) {
    console.log(HELP);
    return 0;
  }
  const file = positional[0];
  if (!file) throw new UsageError(`missing FILE\n${HELP}`);
  const num = (name: string, dflt: number) => {
    const v = flags.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number`);
    return n;
  };
  const frames = num('frames', 32);
  const sampling: SamplingSpec = flags.has('fps') ? { mode: 'fps', fps: num('fps', 1), maxFrames: frames } : { mode: 'uniform', frames };
  const strategy = (flags.get('strategy') ?? 'auto') as 'auto' | 'select' | 'seek';
  if (!['auto', 'select', 'seek'].includes(strategy)) throw new UsageError('--strategy must be auto, select or seek');
  const model = flags.get('model');
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let lastLine = 0;
  try {
    const v = await prepareVideo(file, {
      sampling,
      strategy,
      preprocess: typeof model === 'string' ? loadPreprocessConfig(model) : undefined,
      cacheDir: flags.has('no-cache') ? null : typeof flags.get('cache') === 'string' ? (flags.get('cache') as string) : undefined,
      thumbnailWidth: flags.has('no-cache') ? 0 : 160,
      ffmpegPath: typeof flags.get('ffmpeg') === 'string' ? (flags.get('ffmpeg') as string) : undefined,
      signal: ac.signal,
      onProgress: (p) => {
        const now = Date.now();
        if (p.stage === 'decode' && p.done < p.total && now - lastLine < 250) return;
        lastLine = now;
        const eta = p.etaSec === null ? '' : `, ${p.etaSec.toFixed(1)} s left`;
        process.stderr.write(`${p.stage}: ${p.done}/${p.total}${eta}\n`);
      },
    });
    const p = v.probe;
    if (flags.has('json')) {
      console.log(JSON.stringify({ probe: p, frames: v.frames, frameIndices: v.frameIndices, frameTimes: v.frameTimes, timeInstruction: v.timeInstruction, thumbnails: v.thumbnails, fromCache: v.fromCache, strategy: v.strategy, missingFrames: v.missingFrames, shape: [v.frames, 3, v.height, v.width] }, null, 2));
    } else {
      console.log(`${p.path}: ${p.codec} ${p.width}x${p.height}${p.rotation ? ` (rotated ${p.rotation})` : ''}, ${p.fps.toFixed(3)} fps, ${p.durationSec.toFixed(2)} s, ${p.frameCount} frames, audio: ${p.hasAudio ? 'yes' : 'no'}`);
      console.log(`pixel_values_videos [${v.frames}, 3, ${v.height}, ${v.width}] (${v.fromCache ? 'from cache' : `decoded by ${v.strategy}`})`);
      console.log(v.timeInstruction);
      if (v.missingFrames > 0) console.log(`warning: ${v.missingFrames} sampled frame(s) could not be decoded (is the file cut short?); the last frame that decoded stands in for them`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
