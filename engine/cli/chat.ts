// sparsevila chat --model DIR --video FILE [--frames N] [--json] ...: questions on stdin (one per line), answers
// streamed to stdout; with --json one object per turn. Ctrl-C stops the current answer; twice exits.
import { accessSync, constants, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadVlm, type BackendChoice } from '../core/models/load-model.ts';
import { PRESETS, type PresetName } from '../core/models/presets.ts';
import { ChatSession, type TurnOutput } from '../core/session/chat-session.ts';
import { prepareVideo } from '../core/video/prepare-video.ts';
import { loadVideoPreprocess } from '../core/video/preprocess-config.ts';
import { LLAVA_ONEVISION_PREPROCESS } from '../core/video/preprocess-config.ts';
import { DENSE_SETTINGS, sparseSettingsFromFlags } from '../core/sparse/policy.ts';
import { RETRIEVAL_FLAGS, RETRIEVAL_USAGE } from '../core/sparse/retrieval-settings.ts';
import { turnStats, type Timings, type TurnMeasure, type TurnStats } from '../core/sparse/stats.ts';
import { alignDenseTimings, decodeSteps, denseTokenBudget } from '../core/sparse/dense-compare.ts';
import { DENSE_MEASUREMENT_NOTE, warmUpPolicies } from '../core/bench/warm-up.ts';
import { BACKENDS, float, int, oneOf, parseCommandArgs, str, UsageError, visionPrecision, wantsHelp, type CommandOptions, type ParsedArgs } from './args.ts';
import { progressWriter } from './progress.ts';

export const CHAT_HELP = `sparsevila chat (--model DIR | --synthetic ${PRESETS.join('|')}) --video FILE [--frames N] [--json]
  [--backend cpu|cuda|auto] [--max-new-tokens N] [--temperature T] [--top-p P] [--seed N] [--history none|text]
  [--no-time-instruction] [--no-cache] [--threads N] [--vision-bits 16|8]
  [--policy dense|prefill-only|query-prune|sparsevila] [--prefill-sparsity P] [--decode-sparsity R] [--per-frame-floor N]
  ${RETRIEVAL_USAGE}
  [--measure-dense]   (also run a dense session on the same video to report the speedup per turn; both policies
                       are warmed up first so neither timed run pays one-time graph builds)
Questions are read from stdin, one per line. Default policy: sparsevila at P=0.75, R=0.9.
--json prints one object per turn, each field once: turn, policy, tokens, visual_tokens_total/retained/retrieved,
  kv_bytes, retrieved_mass_share, timings {vision_ms, prefill_ms, retrieval_ms, decode_ms, ttft_ms, total_ms,
  tokens_per_sec}, dense_timings, speedup_vs_dense, question, answer, stop_reason, prompt_tokens, prefix_prefill_ms +
  question_prefill_ms (= timings.prefill_ms), retained_cells [frame, row, col], retrieved_by_layer, mass_share_by_layer.`;

export const CHAT_OPTIONS: CommandOptions = {
  strings: ['model', 'synthetic', 'video', 'frames', 'backend', 'max-new-tokens', 'temperature', 'top-p', 'seed', 'history', 'threads', 'vision-bits',
    'policy', 'prefill-sparsity', 'decode-sparsity', 'per-frame-floor', ...Object.values(RETRIEVAL_FLAGS)],
  booleans: ['json', 'no-time-instruction', 'no-cache', 'measure-dense'],
};

function sparseFlags(a: ParsedArgs): Record<string, string | undefined> {
  const names = ['policy', 'prefill-sparsity', 'decode-sparsity', 'per-frame-floor', 'history', ...Object.values(RETRIEVAL_FLAGS)];
  return Object.fromEntries(names.map((n) => [n, str(a, n)]));
}

/** One `chat --json` line, each field once: the turn's TurnStats (the app's numbers, also `bench`'s) in snake_case,
 *  plus the question and answer and where the visual tokens were. Timings count from the question, so turn 1's TTFT
 *  and total include the vision encoding and prefix prefill it waited for; timings.prefill_ms (the LLM prefill,
 *  retrieval scoring excluded) splits into prefix_prefill_ms (the retained prefix, turn 1 only) and
 *  question_prefill_ms (this turn's question, plus any text history). */
export function turnJson(r: TurnOutput, stats: TurnStats, grid: number): Record<string, unknown> {
  const per = grid * grid;
  return {
    ...(snakeCaseKeys(stats) as Record<string, unknown>),
    question: r.question, answer: r.answer, stop_reason: r.stopReason, prompt_tokens: r.promptTokens,
    prefix_prefill_ms: round(r.measure.prefixPrefillMs), question_prefill_ms: round(stats.timings.prefillMs - r.measure.prefixPrefillMs),
    /** Retained visual tokens as [frame, row, col] of the pooled grid. */
    retained_cells: Array.from(r.measure.retainedIds, (v) => [Math.floor(v / per), Math.floor((v % per) / grid), v % grid]),
    retrieved_by_layer: r.measure.retrievedByLayer ? r.measure.retrievedByLayer.map((ids) => Array.from(ids)) : null,
    mass_share_by_layer: r.measure.massShareByLayer,
  };
}

/** camelCase keys -> snake_case, recursively. */
function snakeCaseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeCaseKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), snakeCaseKeys(x)]));
  }
  return v;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The one-line summary after each answer in text mode. */
export function turnLine(r: TurnOutput, stats: TurnStats): string {
  const speed = stats.speedupVsDense
    ? `, ${stats.speedupVsDense.toFixed(2)}x vs dense${stats.speedupVsDense < 0.995 ? ' (slower)' : ''}` : '';
  return `[turn ${r.turn}: ${r.tokens} token${r.tokens === 1 ? '' : 's'}, prefill ${stats.timings.prefillMs.toFixed(0)} ms, `
    + `${stats.timings.tokensPerSec.toFixed(1)} tok/s, ${stats.visualTokensRetained} visual kept, `
    + `${stats.visualTokensRetrieved.toFixed(0)} retrieved${speed}${r.stopReason === 'aborted' ? ', stopped' : ''}]\n`;
}

/** The video must be a readable file: checked before the (slow) model load, so a typo fails at once. */
export function checkVideoFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`--video ${file}: no such file`);
  }
  if (!st.isFile()) throw new UsageError(`--video ${file}: not a file${st.isDirectory() ? ' (a folder)' : ''}`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new UsageError(`--video ${file}: not readable (permission denied)`);
  }
}

export async function chatCommand(argv: string[], io: { input?: NodeJS.ReadableStream } = {}): Promise<number> {
  if (wantsHelp(argv)) { console.log(CHAT_HELP); return 0; }
  const a = parseCommandArgs(argv, CHAT_OPTIONS, CHAT_HELP);
  const modelDir = str(a, 'model');
  const synthetic = str(a, 'synthetic') as PresetName | undefined;
  if (!modelDir && !synthetic) throw new UsageError('give --model DIR (or --synthetic PRESET)');
  const videoFile = str(a, 'video', true)!;
  const json = a.flags.has('json');
  const backend = oneOf<BackendChoice>(a, 'backend', BACKENDS, 'auto');
  const frames = int(a, 'frames', 8)!;
  let sparse;
  try { sparse = sparseSettingsFromFlags(sparseFlags(a)); } catch (e) { throw new UsageError((e as Error).message); }
  checkVideoFile(videoFile);
  const stderr = progressWriter();
  const log = (s: string) => stderr.line(s);
  const progress = json ? () => {} : stderr.progress;

  const model = await loadVlm(modelDir ?? '', { backend, synthetic, threads: int(a, 'threads'), visionPrecision: visionPrecision(a) });
  log(`model ${model.name} on ${model.backend.device} (${(model.loadMs / 1000).toFixed(1)} s)\n`);
  // A folder's own processor (LLaVA's fixed frames, or a Qwen-VL processor sampling by rate); synthetic: LLaVA's.
  const preprocess = modelDir || model.kind === 'qwen-vl' ? loadVideoPreprocess(modelDir ?? '') : {
    ...LLAVA_ONEVISION_PREPROCESS, width: model.config.vision.imageSize, height: model.config.vision.imageSize,
  };
  const video = await prepareVideo(videoFile, {
    sampling: { mode: 'uniform', frames }, preprocess, thumbnailWidth: 0,
    cacheDir: a.flags.has('no-cache') ? null : undefined,
    onProgress: (p) => { if (p.stage === 'decode') progress('decoding frames', p.done, p.total); },
  });
  if (video.missingFrames > 0) {
    log(`warning: ${video.missingFrames} sampled frame(s) could not be decoded (is the file cut short?); `
      + 'the last frame that decoded stands in for them\n');
  }
  const measureDense = a.flags.has('measure-dense');
  if (measureDense) {
    const ms = await warmUpPolicies(model, [sparse, { ...sparse, policy: 'dense' }]);
    log(`${DENSE_MEASUREMENT_NOTE} (warm-up ${(ms / 1000).toFixed(1)} s)\n`);
  }
  if (!json) log(`${video.frames} frames over ${video.durationSec.toFixed(1)} s; encoding...\n`);
  const timeInstruction = !a.flags.has('no-time-instruction');
  const session = await ChatSession.create(model, video, {
    sparse, timeInstruction,
    onProgress: (stage, d, n) => { if (stage === 'vision') progress('vision', d, n); },
  });
  if (!json) log(`ready (${sparse.policy}: ${session.visualTokens} of ${session.video.frames * session.video.tokensPerFrame} visual tokens kept). Ask away.\n`);
  if (measureDense && !json) log('preparing the dense comparison session (encodes the video again)...\n');
  const denseSession = measureDense
    ? await ChatSession.create(model, video, { sparse: { ...DENSE_SETTINGS, history: sparse.history }, timeInstruction })
    : null;

  let current: AbortController | null = null;
  let interrupts = 0;
  const onSigint = () => {
    if (current && !current.signal.aborted) { current.abort(); return; }
    if (++interrupts >= 1) process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const rl = createInterface({ input: io.input ?? process.stdin, terminal: false });
  try {
    for await (const line of rl) {
      const q = line.trim();
      if (!q) continue;
      current = new AbortController();
      const gen = {
        maxNewTokens: int(a, 'max-new-tokens', 128), temperature: float(a, 'temperature', 0), topP: float(a, 'top-p', 1),
        seed: int(a, 'seed', 0),
      };
      const r = await session.ask(q, {
        ...gen, signal: current.signal,
        onToken: json ? undefined : (d) => process.stdout.write(d),
      });
      current = null;
      let denseTimings: Timings | null = null;
      // A stopped answer has no fair dense counterpart (the dense run would write the whole answer).
      if (denseSession && r.stopReason !== 'aborted') {
        // Same text history as the sparse turn saw (its own answers may differ), same length (see dense-compare.ts).
        denseSession.history.splice(0, denseSession.history.length, ...session.history.slice(0, -1));
        const rd = await denseSession.ask(q, { ...gen, maxNewTokens: denseTokenBudget(r.tokens) });
        denseTimings = alignDenseTimings(rd.measure.timings, decodeSteps(rd.tokens, rd.stopReason), decodeSteps(r.tokens, r.stopReason));
      }
      const stats = turnStats({ ...r.measure, denseTimings });
      if (json) {
        const how = denseSession ? { dense_measurement: DENSE_MEASUREMENT_NOTE } : {};
        process.stdout.write(JSON.stringify({ ...turnJson(r, stats, session.video.pooled), ...how }) + '\n');
      } else {
        process.stdout.write('\n');
        log(turnLine(r, stats));
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    session.dispose();
    denseSession?.dispose();
    model.dispose();
  }
  return 0;
}
