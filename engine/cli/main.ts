// The `sparsevila` CLI: one module per subcommand, dispatched by name.
import { UsageError } from './args.ts';

type Command = { run: (argv: string[]) => Promise<number>; help: string };

// Subcommand modules load on use, so one command's dependencies (the app server's, ffmpeg's) are not needed by another
// (e.g. `bench` on a GPU machine with a minimal node_modules).
function lazy<K extends string>(load: () => Promise<Record<K, (argv: string[]) => Promise<number>>>, name: K): Command['run'] {
  return async (argv) => (await load())[name](argv);
}

export const commands: Record<string, Command> = {
  logits: { run: lazy(() => import('./logits.ts'), 'logitsCommand'), help: 'full-sequence logits for input_ids + pixel_values_videos (HF parity interface)' },
  chat: { run: lazy(() => import('./chat.ts'), 'chatCommand'), help: 'chat about a video: questions on stdin, answers streamed (--json: one object per turn)' },
  'make-checkpoint': { run: lazy(() => import('./make-checkpoint.ts'), 'makeCheckpointCommand'), help: 'write a random-weight LLaVA-OneVision checkpoint in the HF layout' },
  saliency: { run: lazy(() => import('./saliency.ts'), 'saliencyCommand'), help: 'patch and token saliency (SparseVILA prefill scores) for the same inputs as logits' },
  bench: { run: lazy(() => import('./bench.ts'), 'benchCommand'), help: 'time dense vs sparse policies (vision, prefill, TTFT, decode, end-to-end over turns)' },
  eval: { run: lazy(() => import('./eval.ts'), 'evalCommand'), help: 'accuracy per turn of each policy x sparsity on synthetic-world videos (toy model; --world v2: several-word answers scored per item), with timings' },
  video: { run: lazy(() => import('./video.ts'), 'videoCommand'), help: 'probe a video and prepare its frames (progress, cache)' },
  'bench-video': { run: lazy(() => import('./bench-video.ts'), 'benchVideoCommand'), help: 'video sampling speed: ours vs one ffmpeg per frame' },
  quantize: { run: lazy(() => import('./quantize.ts'), 'quantizeCommand'), help: 'a 4-bit copy of a model (AWQ or round-to-nearest, AutoAWQ gemm layout) with a per-layer error report' },
  serve: { run: lazy(() => import('./serve.ts'), 'serveCommand'), help: 'serve the app to a browser on 127.0.0.1 (token-protected)' },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return ['usage: sparsevila <command> [options]', '', ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.help}`), '', 'Run `sparsevila <command> --help` for its options.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sparsevila ${name}: ${err.message}${err.usage ? `\n\n${err.usage}` : ''}`);
      return 2;
    }
    console.error(`sparsevila ${name}: ${(err as Error).message}`);
    return 1;
  }
}
