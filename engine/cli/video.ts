// `sparsevila video FILE`: probe a video and prepare its frames as the model would get them (progress on stderr).
import { float, oneOf, parseCommandArgs, str, UsageError, wantsHelp, type CommandOptions } from './args.ts';
import { loadPreprocessConfig } from '../core/video/preprocess-config.ts';
import { prepareVideo } from '../core/video/prepare-video.ts';
import type { SamplingSpec } from '../core/video/sampling.ts';

export const VIDEO_HELP = `usage: sparsevila video FILE [--frames N] [--fps F] [--model DIR] [--strategy auto|select|seek]
                       [--cache DIR | --no-cache] [--ffmpeg PATH] [--json]
Probes FILE, samples N frames (default 32; with --fps: F frames per second, at most N), decodes them in one ffmpeg
pass, preprocesses them with the model's preprocessor_config.json (default: LLaVA-OneVision SigLIP 384) and prints
the frame times and the LLaVA-Video time instruction. Reopening the same file and settings hits the cache.`;

export const VIDEO_OPTIONS: CommandOptions = { strings: ['frames', 'fps', 'model', 'strategy', 'cache', 'ffmpeg'], booleans: ['json', 'no-cache'], positionals: 1 };

export async function videoCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(VIDEO_HELP);
    return 0;
  }
  const a = parseCommandArgs(argv, VIDEO_OPTIONS, VIDEO_HELP);
  const { flags, positional } = a;
  const file = positional[0];
  if (!file) throw new UsageError('missing FILE', VIDEO_HELP);
  const frames = float(a, 'frames', 32)!;
  const sampling: SamplingSpec = flags.has('fps') ? { mode: 'fps', fps: float(a, 'fps', 1)!, maxFrames: frames } : { mode: 'uniform', frames };
  const strategy = oneOf(a, 'strategy', ['auto', 'select', 'seek'] as const, 'auto');
  const model = str(a, 'model');
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let lastLine = 0;
  try {
    const v = await prepareVideo(file, {
      sampling,
      strategy,
      preprocess: model ? loadPreprocessConfig(model) : undefined,
      cacheDir: flags.has('no-cache') ? null : str(a, 'cache'),
      thumbnailWidth: flags.has('no-cache') ? 0 : 160,
      ffmpegPath: str(a, 'ffmpeg'),
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
