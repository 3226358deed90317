// The `sparsevila` CLI: one module per subcommand, dispatched by name.
import { serveCommand } from './serve.ts';
import { logitsCommand } from './logits.ts';
import { makeCheckpointCommand } from './make-checkpoint.ts';
import { saliencyCommand } from './saliency.ts';
import { benchCommand } from './bench.ts';
import { chatCommand } from './chat.ts';
import { evalCommand } from './eval.ts';
import { videoCommand } from './video.ts';
import { benchVideoCommand } from './bench-video.ts';

type Command = { run: (argv: string[]) => Promise<number>; help: string };

export const commands: Record<string, Command> = {
  logits: { run: logitsCommand, help: 'full-sequence logits for input_ids + pixel_values_videos (HF parity interface)' },
  chat: { run: chatCommand, help: 'chat about a video: questions on stdin, answers streamed (--json: one object per turn)' },
  'make-checkpoint': { run: makeCheckpointCommand, help: 'write a random-weight LLaVA-OneVision checkpoint in the HF layout' },
  saliency: { run: saliencyCommand, help: 'patch and token saliency (SparseVILA prefill scores) for the same inputs as logits' },
  bench: { run: benchCommand, help: 'time dense vs sparse policies (vision, prefill, TTFT, decode, end-to-end over turns)' },
  eval: { run: evalCommand, help: 'accuracy per turn of each policy x sparsity on synthetic-world videos (toy model), with timings' },
  video: { run: videoCommand, help: 'probe a video and prepare its frames (progress, cache)' },
  'bench-video': { run: benchVideoCommand, help: 'video sampling speed: ours vs one ffmpeg per frame' },
  serve: { run: serveCommand, help: 'serve the app to a browser on 127.0.0.1 (token-protected)' },
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
    console.error(`sparsevila ${name}: ${(err as Error).message}`);
    return 1;
  }
}
