// sparsevila chat --model DIR --video FILE [--frames N] [--json] ...: questions on stdin (one per line), answers
// streamed to stdout; with --json one object per turn. Ctrl-C stops the current answer; twice exits.
import { createInterface } from 'node:readline';
import { loadModel, type BackendChoice } from '../core/models/load-model.ts';
import { PRESETS, type PresetName } from '../core/models/presets.ts';
import { ChatSession, type TurnOutput } from '../core/session/chat-session.ts';
import { prepareVideo } from '../core/video/prepare-video.ts';
import { loadPreprocessConfig } from '../core/video/preprocess-config.ts';
import { LLAVA_ONEVISION_PREPROCESS } from '../core/video/preprocess-config.ts';
import { sparseSettingsFromFlags } from '../core/sparse/policy.ts';
import { SparsePolicy } from '../core/sparse/session-policy.ts';
import type { TurnStats } from '../../electron/contract.ts';
import { sparseTurnJson, turnStats, type TurnMeasure } from '../core/sparse/stats.ts';
import { alignDenseTimings, decodeSteps, denseTokenBudget } from '../core/sparse/dense-compare.ts';
import { DENSE_MEASUREMENT_NOTE, warmUpPolicies } from '../core/sparse/warm-up.ts';
import { float, int, parseArgs, rejectUnknownOptions, str, UsageError, type ParsedArgs } from './args.ts';

export const CHAT_HELP = `sparsevila chat (--model DIR | --synthetic ${PRESETS.join('|')}) --video FILE [--frames N] [--json]
  [--backend cpu|cuda|auto] [--max-new-tokens N] [--temperature T] [--top-p P] [--seed N] [--history none|text]
  [--no-time-instruction] [--no-cache] [--threads N]
  [--policy dense|prefill-only|query-prune|sparsevila] [--prefill-sparsity P] [--decode-sparsity R] [--per-frame-floor N]
  [--measure-dense]   (also run a dense session on the same video to report the speedup per turn; both policies
                       are warmed up first so neither timed run pays one-time graph builds)
Questions are read from stdin, one per line. Default policy: sparsevila at P=0.75, R=0.9.`;

function sparseFlags(a: ParsedArgs): Record<string, string | undefined> {
  const names = ['policy', 'prefill-sparsity', 'decode-sparsity', 'per-frame-floor', 'history'];
  return Object.fromEntries(names.map((n) => [n, str(a, n)]));
}

export function turnJson(r: TurnOutput): Record<string, unknown> {
  // TTFT and total are measured from the user's question, so turn 1 includes the vision encoding and prefix prefill
  // it waited for: the same definition as TurnStats.timings (the app, `stats` below) and `sparsevila bench`.
  const firstTurnMs = r.timings.visionMs + r.timings.prefixPrefillMs;
  return {
    turn: r.turn, question: r.question, answer: r.answer, tokens: r.tokens, stop_reason: r.stopReason,
    prompt_tokens: r.promptTokens, visual_tokens: r.visualTokens, visual_tokens_total: r.visualTokensTotal,
    vision_ms: round(r.timings.visionMs), prefix_prefill_ms: round(r.timings.prefixPrefillMs),
    prefill_ms: round(r.timings.prefillMs + r.timings.prefixPrefillMs), question_prefill_ms: round(r.timings.prefillMs),
    decode_ms: round(r.timings.decodeMs), ttft_ms: round(firstTurnMs + r.timings.ttftMs),
    total_ms: round(firstTurnMs + r.timings.totalMs),
    decode_tokens_per_s: round(r.decodeTokensPerSec), kv_bytes: r.kvBytes,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The one-line summary after each answer in text mode. */
export function turnLine(r: TurnOutput, stats: TurnStats): string {
  const speed = stats.speedupVsDense
    ? `, ${stats.speedupVsDense.toFixed(2)}x vs dense${stats.speedupVsDense < 0.995 ? ' (slower)' : ''}` : '';
  return `[turn ${r.turn}: ${r.tokens} token${r.tokens === 1 ? '' : 's'}, prefill ${(r.timings.prefillMs + r.timings.prefixPrefillMs).toFixed(0)} ms, `
    + `${r.decodeTokensPerSec.toFixed(1)} tok/s, ${stats.visualTokensRetained} visual kept, `
    + `${stats.visualTokensRetrieved.toFixed(0)} retrieved${speed}${r.stopReason === 'aborted' ? ', stopped' : ''}]\n`;
}

export async function chatCommand(argv: string[], io: { input?: NodeJS.ReadableStream } = {}): Promise<number> {
  const a = parseArgs(argv, ['help', 'json', 'no-time-instruction', 'no-cache', 'measure-dense']);
  if (a.flags.has('help')) { console.log(CHAT_HELP); return 0; }
  rejectUnknownOptions(a, CHAT_HELP);
  const modelDir = str(a, 'model');
  const synthetic = str(a, 'synthetic') as PresetName | undefined;
  if (!modelDir && !synthetic) throw new UsageError('give --model DIR (or --synthetic PRESET)');
  const videoFile = str(a, 'video', true)!;
  const json = a.flags.has('json');
  const backend = (str(a, 'backend') ?? 'auto') as BackendChoice;
  if (!['cpu', 'cuda', 'auto'].includes(backend)) throw new UsageError(`--backend must be cpu, cuda or auto (got ${backend})`);
  const frames = int(a, 'frames', 8)!;
  let sparse;
  try { sparse = sparseSettingsFromFlags(sparseFlags(a)); } catch (e) { throw new UsageError((e as Error).message); }
  const history = sparse.history;
  const log = (s: string) => process.stderr.write(s);

  const model = await loadModel(modelDir ?? '', { backend, synthetic, threads: int(a, 'threads') });
  log(`model ${model.name} on ${model.backend.device} (${(model.loadMs / 1000).toFixed(1)} s)\n`);
  const preprocess = modelDir ? loadPreprocessConfig(modelDir) : {
    ...LLAVA_ONEVISION_PREPROCESS, width: model.config.vision.imageSize, height: model.config.vision.imageSize,
  };
  const video = await prepareVideo(videoFile, {
    sampling: { mode: 'uniform', frames }, preprocess, thumbnailWidth: 0,
    cacheDir: a.flags.has('no-cache') ? null : undefined,
    onProgress: (p) => { if (!json && p.stage === 'decode') log(`\rdecoding frames ${p.done}/${p.total}`); },
  });
  if (video.missingFrames > 0) {
    log(`${json ? '' : '\n'}warning: ${video.missingFrames} sampled frame(s) could not be decoded (is the file cut short?); `
      + 'the last frame that decoded stands in for them\n');
  }
  const measureDense = a.flags.has('measure-dense');
  if (measureDense) {
    const ms = warmUpPolicies(model.model, [sparse, { ...sparse, policy: 'dense' }]);
    log(`${json ? '' : '\n'}${DENSE_MEASUREMENT_NOTE} (warm-up ${(ms / 1000).toFixed(1)} s)\n`);
  }
  if (!json) log(`\n${video.frames} frames over ${video.durationSec.toFixed(1)} s; encoding...\n`);
  const sp = new SparsePolicy(model, sparse);
  const session = await ChatSession.create(model, video, {
    history, timeInstruction: !a.flags.has('no-time-instruction'),
    onProgress: (stage, d, n) => { if (!json && stage === 'vision') log(`\rvision ${d}/${n}`); },
    ...sp.sessionOptions(),
  });
  sp.attach(session);
  if (!json) log(`\nready (${sparse.policy}: ${session.visualSlots.length} of ${session.video.frames * session.video.tokensPerFrame} visual tokens kept). Ask away.\n`);
  const dense = measureDense ? new SparsePolicy(model, { ...sparse, policy: 'dense' }) : null;
  if (dense && !json) log('preparing the dense comparison session (encodes the video again)...\n');
  const denseSession = dense
    ? await ChatSession.create(model, video, { history, timeInstruction: !a.flags.has('no-time-instruction'), ...dense.sessionOptions() })
    : null;
  if (dense && denseSession) dense.attach(denseSession);

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
        ...sp.askOptions(),
      });
      current = null;
      const m: TurnMeasure = sp.finishTurn(r);
      // A stopped answer has no fair dense counterpart (the dense run would write the whole answer).
      if (dense && denseSession && r.stopReason !== 'aborted') {
        // Same text history as the sparse turn saw (its own answers may differ), same length (see dense-compare.ts).
        denseSession.history.splice(0, denseSession.history.length, ...session.history.slice(0, -1));
        const rd = await denseSession.ask(q, { ...gen, maxNewTokens: denseTokenBudget(r.tokens), ...dense.askOptions() });
        m.denseTimings = alignDenseTimings(dense.finishTurn(rd).timings, decodeSteps(rd.tokens, rd.stopReason), decodeSteps(r.tokens, r.stopReason));
      }
      const stats = turnStats(m);
      if (json) {
        const how = dense ? { dense_measurement: DENSE_MEASUREMENT_NOTE } : {};
        process.stdout.write(JSON.stringify({ ...turnJson(r), ...sparseTurnJson(m, sp.pooled, sp.pooled), ...how }) + '\n');
      }
      else {
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
