// sparsevila bench [--synthetic 0.5b | --model DIR] [--backend cpu|cuda|auto] [--frames 16] [--turns 3] [--new-tokens 32]
//   [--configs dense,0.75:0.9] [--json] [--threads N] [--no-warmup]
// Times dense vs sparse policies on one synthetic-content video: vision, LLM prefill, TTFT per turn, decode tokens/s,
// end-to-end over the turns. Prints a Markdown table (or JSON with --json) with the machine it ran on.
import { cpus, totalmem } from 'node:os';
import { loadModel, type BackendChoice } from '../models/load-model.ts';
import { PRESETS, type PresetName } from '../models/presets.ts';
import { parseBenchConfigs } from '../sparse/benchConfig.ts';
import { benchPixels, benchTable, runBenchConfig, type BenchResult, type BenchWorkload } from '../sparse/benchRun.ts';
import { int, parseArgs, rejectUnknownOptions, str, UsageError } from './args.ts';

export const BENCH_HELP = `sparsevila bench [--synthetic ${PRESETS.join('|')} | --model DIR] [--backend cpu|cuda|auto] [--frames N] [--turns N]
  [--new-tokens N] [--configs dense,0.75:0.9,prefill-only@0.75,query-prune@0.75:0.9] [--json] [--threads N] [--no-warmup]
Defaults: --synthetic 0.5b --backend auto --frames 16 --turns 3 --new-tokens 32 --configs dense,0.75:0.9`;

export async function benchCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, ['help', 'json', 'no-warmup']);
  if (a.flags.has('help')) { console.log(BENCH_HELP); return 0; }
  rejectUnknownOptions(a, BENCH_HELP);
  const modelDir = str(a, 'model');
  const synthetic = (str(a, 'synthetic') ?? (modelDir ? undefined : '0.5b')) as PresetName | undefined;
  if (synthetic && !PRESETS.includes(synthetic)) throw new UsageError(`--synthetic must be one of ${PRESETS.join(', ')}`);
  const backend = (str(a, 'backend') ?? 'auto') as BackendChoice;
  if (!['cpu', 'cuda', 'auto'].includes(backend)) throw new UsageError(`--backend must be cpu, cuda or auto (got ${backend})`);
  const w: BenchWorkload = { frames: int(a, 'frames', 16)!, turns: int(a, 'turns', 3)!, newTokens: int(a, 'new-tokens', 32)! };
  for (const [k, v] of Object.entries(w)) if (!(v >= 1)) throw new UsageError(`--${k} must be a positive integer`);
  const configs = parseBenchConfigs(str(a, 'configs') ?? 'dense,0.75:0.9');
  const json = a.flags.has('json');
  const log = (s: string) => process.stderr.write(s);

  const m = await loadModel(modelDir ?? '', { backend, synthetic, threads: int(a, 'threads') });
  const machine = {
    backend: m.backend.name, device: m.backend.device, cpu: cpus()[0]?.model?.trim() ?? 'unknown', cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
  };
  log(`bench: ${m.name} on ${m.backend.device}; ${w.frames} frames, ${w.turns} turns x ${w.newTokens} tokens\n`);
  try {
    if (!a.flags.has('no-warmup')) {
      // Graph/kernel creation and first-touch costs go here, once per distinct policy, on a one-frame video.
      const seen = new Set<string>();
      for (const c of configs) {
        if (seen.has(c.policy)) continue;
        seen.add(c.policy);
        runBenchConfig(m.model, c, { frames: 1, turns: 2, newTokens: 2 }, benchPixels(m.model, 1));
      }
      log('warm-up done\n');
    }
    const pixels = benchPixels(m.model, w.frames);
    const results: BenchResult[] = [];
    for (const c of configs) results.push(runBenchConfig(m.model, c, w, pixels, log));
    if (json) {
      console.log(JSON.stringify({ model: m.name, machine, workload: w, date: new Date().toISOString(), results }, null, 1));
    } else {
      console.log(`model ${m.name}; ${machine.device}; ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}`);
      console.log(`workload: ${w.frames} frames, ${w.turns} turns x ${w.newTokens} new tokens\n`);
      console.log(benchTable(results));
    }
  } finally {
    m.dispose();
  }
  return 0;
}
