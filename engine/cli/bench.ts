// sparsevila bench [--synthetic 0.5b [--weights 16bit|awq4] | --model DIR] [--backend cpu|cuda|auto] [--frames 16[,64,...]] [--turns 3]
//   [--new-tokens 32] [--configs dense,0.75:0.9] [--head-tokens N] [--instruction-tokens N] [--question-tokens N]
//   [--json] [--out FILE.json] [--threads N] [--vision-bits 16|8] [--no-warmup]
// Times dense vs sparse policies on one synthetic-content video per frame count: vision, LLM prefill, TTFT per turn,
// decode ms/token against the decode bandwidth floor, end-to-end over the turns. Prints Markdown tables (or JSON with
// --json) with the machine it ran on.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { loadVlm, type BackendChoice } from '../core/models/load-model.ts';
import { PRESETS, type PresetName } from '../core/models/presets.ts';
import { isQwenPreset, QWEN_PRESETS, type QwenPresetName } from '../core/models/qwen-presets.ts';
import { parseBenchConfigs, withRetrievals } from '../core/bench/config.ts';
import { decodeFloor, decodeWeightBytes, measureCopyGBps, type DecodeFloor } from '../core/bench/floor.ts';
import { benchTable, benchVideo, runBenchConfig, type BenchResult, type BenchWorkload } from '../core/bench/run.ts';
import { warmUpPolicies, warmUpShape } from '../core/bench/warm-up.ts';
import { progressWriter } from './progress.ts';
import { BACKENDS, int, oneOf, parseCommandArgs, str, UsageError, visionPrecision, wantsHelp, type CommandOptions, type ParsedArgs } from './args.ts';

const SYNTHETIC = [...PRESETS, ...QWEN_PRESETS];

export const BENCH_HELP = `sparsevila bench [--synthetic ${SYNTHETIC.join('|')} [--weights 16bit|awq4] | --model DIR] [--backend cpu|cuda|auto] [--frames N[,N...]]
  [--turns N] [--new-tokens N] [--configs dense,0.75:0.9,prefill-only@0.75,query-prune@0.75:0.9]
  [--head-tokens N] [--instruction-tokens N] [--question-tokens N] [--json] [--out FILE.json] [--threads N] [--vision-bits 16|8] [--no-warmup]
  [--retrieval per-layer,shared,top-p=0.9,refresh=16,pages=16,fastv=2]   (each sparsevila config once per retrieval)
Warm-up (unless --no-warmup): each policy once on a one-frame video, then per frame count one untimed dense prefix.
Defaults: --synthetic 0.5b --weights 16bit --backend auto --frames 16 --turns 3 --new-tokens 32 --configs dense,0.75:0.9
  --weights awq4: the synthetic model's language-model linears are random 4-bit AutoAWQ layers (group 128; LLaVA presets)
  --model DIR: a LLaVA-OneVision / LLaVA-Video or Qwen2.5-VL / Qwen3-VL folder (its own precision, 16-bit or AWQ)
  Qwen-VL: frames are 448x252 as the processor rounds them, 2 per second (an even count); the prompt is the model's
  chat template (--head-tokens / --instruction-tokens apply to LLaVA models)
  text around the video: --head-tokens 5, --instruction-tokens 20 + 8 x frames (the time instruction), --question-tokens 24`;

export const BENCH_OPTIONS: CommandOptions = {
  strings: ['synthetic', 'weights', 'model', 'backend', 'frames', 'turns', 'new-tokens', 'configs', 'head-tokens', 'instruction-tokens', 'question-tokens', 'out', 'threads', 'vision-bits', 'retrieval'],
  booleans: ['json', 'no-warmup'],
};

export interface BenchRun {
  workload: BenchWorkload;
  results: (BenchResult & { floor: DecodeFloor })[];
  /** CUDA: device memory in use after this frame count's runs (CudaBackend.deviceMemoryInUse: its memory pool never
   *  gives blocks back, so this is the pool's high-water mark so far, plus the CUDA context and cuBLAS workspace). */
  gpuMemoryBytes?: number;
}

/** The backend's device memory in use, where it can tell (the CUDA backend's deviceMemoryInUse). */
function deviceMemory(be: object): { gpuMemoryBytes?: number } {
  return 'deviceMemoryInUse' in be && typeof be.deviceMemoryInUse === 'function' ? { gpuMemoryBytes: be.deviceMemoryInUse() } : {};
}

function frameList(a: ParsedArgs): number[] {
  const s = str(a, 'frames') ?? '16';
  const list = s.split(',').map((x) => Number(x.trim()));
  if (!list.length || list.some((n) => !(Number.isInteger(n) && n >= 1))) throw new UsageError(`--frames must be positive integers (e.g. 64,256), got "${s}"`);
  return list;
}

/** One row per frame count and config: the numbers issue #6 asks for. "LLM prefill" is the video prompt's (the retained
 *  prefix); each turn's question prefill, retrieval and decode are inside E2E. */
export function benchSummaryTable(runs: BenchRun[]): string {
  const rows = [
    '| frames | config | prefill tokens | vision ms | LLM prefill ms | prefill speedup | retrieval ms/turn | decode ms/tok | floor ms/tok | decode / floor | E2E ms | E2E speedup |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of runs) {
    const dense = run.results.find((r) => r.config.policy === 'dense');
    const x = (a: number, b: number | undefined) => (b && a > 0 ? `${(b / a).toFixed(2)}x` : '—');
    for (const r of run.results) {
      const retrieval = r.turns.reduce((a, t) => a + t.timings.retrievalMs, 0) / Math.max(1, r.turns.length);
      rows.push(`| ${run.workload.frames} | ${r.config.label} | ${r.prefixTokens} | ${r.visionMs.toFixed(0)} | ${r.prefixPrefillMs.toFixed(0)} | `
        + `${x(r.prefixPrefillMs, dense?.prefixPrefillMs)} | ${r.config.policy === 'dense' ? '—' : retrieval.toFixed(1)} | `
        + `${r.floor.decodeMs.toFixed(2)} | ${r.floor.floorMs.toFixed(2)} | ${(r.floor.decodeMs / r.floor.floorMs).toFixed(2)}x | `
        + `${r.endToEndMs.toFixed(0)} | ${x(r.endToEndMs, dense?.endToEndMs)} |`);
    }
  }
  return rows.join('\n');
}

export async function benchCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) { console.log(BENCH_HELP); return 0; }
  const a = parseCommandArgs(argv, BENCH_OPTIONS, BENCH_HELP);
  const modelDir = str(a, 'model');
  const synthetic = (str(a, 'synthetic') ?? (modelDir ? undefined : '0.5b')) as PresetName | QwenPresetName | undefined;
  if (synthetic && !SYNTHETIC.includes(synthetic)) throw new UsageError(`--synthetic must be one of ${SYNTHETIC.join(', ')}`);
  const weights = oneOf(a, 'weights', ['16bit', 'awq4'] as const, '16bit');
  if (a.flags.has('weights') && !synthetic) throw new UsageError('--weights applies to --synthetic models (a model folder has its own precision)');
  if (weights === 'awq4' && synthetic && isQwenPreset(synthetic)) throw new UsageError('--weights awq4 applies to the LLaVA presets (Qwen-VL AWQ: --model DIR)');
  const backend = oneOf<BackendChoice>(a, 'backend', BACKENDS, 'auto');
  const frames = frameList(a);
  const base = {
    turns: int(a, 'turns', 3)!, newTokens: int(a, 'new-tokens', 32)!,
    headTokens: int(a, 'head-tokens'), instructionTokens: int(a, 'instruction-tokens'), questionTokens: int(a, 'question-tokens'),
  };
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && !(v >= (k === 'instructionTokens' ? 0 : 1))) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a positive integer`);
  }
  let configs;
  try { configs = withRetrievals(parseBenchConfigs(str(a, 'configs') ?? 'dense,0.75:0.9'), str(a, 'retrieval')); }
  catch (e) { throw new UsageError((e as Error).message); }
  const json = a.flags.has('json');
  const outFile = str(a, 'out');
  const stderr = progressWriter();
  const log = (s: string) => stderr.line(s);

  const m = await loadVlm(modelDir ?? '', { backend, synthetic, syntheticBits: weights === 'awq4' ? 4 : 16, threads: int(a, 'threads'), visionPrecision: visionPrecision(a) });
  const machine = {
    backend: m.backend.name, device: m.backend.device, cpu: cpus()[0]?.model?.trim() ?? 'unknown', cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
  };
  log(`bench: ${m.name} on ${m.backend.device} (loaded in ${m.loadMs.toFixed(0)} ms); frames ${frames.join(', ')}, ${base.turns} turns x ${base.newTokens} tokens\n`);
  try {
    if (!a.flags.has('no-warmup')) {
      // Graph/kernel creation and first-touch costs go here, once per distinct policy, on a one-frame video.
      await warmUpPolicies(m, configs, base);
      log('warm-up done\n');
    }
    const copyGBps = measureCopyGBps(m.backend);
    const awqGroup = m.awqGroupSize;
    const weightBytesPerToken = decodeWeightBytes(m.config, m.backend, awqGroup);
    log(`copy bandwidth ${copyGBps.toFixed(0)} GB/s (read + write); decode reads ${(weightBytesPerToken / 1e9).toFixed(2)} GB of weights per token\n`);
    const runs: BenchRun[] = [];
    for (const F of frames) {
      const w: BenchWorkload = { ...base, frames: F };
      const video = benchVideo(m, F);
      if (!a.flags.has('no-warmup')) log(`warm-up at ${F} frames: ${(await warmUpShape(m, video)).toFixed(0)} ms\n`);
      const results: BenchRun['results'] = [];
      for (const c of configs) {
        const r = await runBenchConfig(m, c, w, video, { log, progress: stderr.progress });
        results.push({ ...r, floor: decodeFloor(m.config, m.backend, r, w, copyGBps, awqGroup) });
      }
      runs.push({ workload: w, results, ...deviceMemory(m.backend) });
    }
    const report = {
      model: m.name, machine, date: new Date().toISOString(), copyGBps, weightBytesPerToken,
      workload: runs[0].workload, results: runs[0].results, runs,
    };
    if (outFile) writeFileSync(outFile, JSON.stringify(report, null, 1));
    if (json) {
      console.log(JSON.stringify(report, null, 1));
    } else {
      console.log(`model ${m.name}; ${machine.device}; ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}`);
      console.log(`copy bandwidth ${copyGBps.toFixed(0)} GB/s; floor = (${(weightBytesPerToken / 1e9).toFixed(2)} GB weights + K/V of the slots read) / copy bandwidth`);
      for (const run of runs) {
        console.log(`\n${run.workload.frames} frames, ${run.workload.turns} turns x ${run.workload.newTokens} new tokens\n`);
        console.log(benchTable(run.results));
      }
      console.log('\n' + benchSummaryTable(runs));
    }
  } finally {
    m.dispose();
  }
  return 0;
}
