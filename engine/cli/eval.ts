// sparsevila eval --model DIR --set DIR|A:B [--policies ...] [--sparsities P:R,...]: accuracy per turn of each
// policy across sparsities on the synthetic world's videos (engine/core/synthetic), plus timings. The videos go through the
// app's own path (mp4 -> ffmpeg decode -> preprocess -> vision -> prefill -> decode).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type BackendChoice, type LoadedModel } from '../core/models/load-model.ts';
import { ChatSession } from '../core/session/chat-session.ts';
import { POLICY_NAMES, type PolicyName, type SparseSettings } from '../core/sparse/policy.ts';
import { RETRIEVAL_FLAGS, type RetrievalSettings } from '../core/sparse/retrieval-settings.ts';
import { turnStats } from '../core/sparse/stats.ts';
import { answerItems, scoreItems } from '../core/synthetic/answer-score.ts';
import { describeQuestion, type Question } from '../core/synthetic/questions.ts';
import { makeScene } from '../core/synthetic/world.ts';
import { answerMatches, parseSeedRange, readEvalSet, writeEvalSet, type EvalSet } from '../core/synthetic/eval-set.ts';
import { readEvalSetV2, writeEvalSetV2, type EvalSetV2 } from '../core/synthetic/eval-set-v2.ts';
import { MAX_TURNS_V2 } from '../core/synthetic/questions-v2.ts';
import { resolveFfmpeg } from '../core/video/ffmpeg-path.ts';
import { prepareVideo, type PreparedVideo } from '../core/video/prepare-video.ts';
import { loadPreprocessConfig } from '../core/video/preprocess-config.ts';
import { BACKENDS, int, oneOf, parseCommandArgs, str, UsageError, visionPrecision, wantsHelp, type CommandOptions, type ParsedArgs } from './args.ts';
import { budgetNote, configLabel, evalConfigs, evalRetrievals, minRetrievedOf, parseSparsities, withEvalRetrievals, type EvalConfig } from './eval-configs.ts';
import { appVideoPreparer, chatSessionRunner, resultsTableV2, runEvalV2, v2Configs } from './eval-v2.ts';
import { progressWriter } from './progress.ts';

export const EVAL_HELP = `sparsevila eval --model DIR --set DIR|A:B [--world v1|v2] [--write-set DIR] [--frames 16]
  [--policies dense,prefill-only,query-prune,sparsevila] [--sparsities 0.5:0.75,0.75:0.9] [--single N]
  [--describe] [--turns N] [--backend cpu|cuda|auto] [--threads N] [--vision-bits 16|8] [--out results.json]
  [--retrieval per-layer,shared,top-p=0.9,refresh=16,pages=16,fastv=2]   (each sparsevila config once per retrieval)
  [--min-retrieved N] [--retrieval-mass P] [--refresh-every N] [--page-size N] [--fastv-layer L] [--full-layers K]   (the base each
  --retrieval spec varies; a spec's =VALUE wins over its flag)
--set A:B renders held-out seeds A..B-1 of the synthetic world to mp4 (into --write-set DIR, else a temp folder);
--set DIR reads a set written before. Each video: N single-turn questions (dense) and a 3-turn conversation whose
turns ask about different objects (every policy x sparsity); --describe adds a last turn "describe the video ."
whose several-word answer (every object in order) exercises decode-time retrieval. Sparsity pairs are prefill:decode.
--world v2 (engine/core/synthetic/world-v2.ts; --frames defaults to 32): each video's conversation of --turns N
(1-6, default 4) several-word answers, scored per item in order (partial credit) and exact, per type, turn and
answer length, with the baselines trivial answer, prefill-only at each sparsevila pair's decode-time token count,
and query-prune. Decode budgets are round((1 - r) x retained visual tokens), never below --min-retrieved (default 1;
stated in the output and the JSON's minRetrieved).`;

export const EVAL_OPTIONS: CommandOptions = {
  strings: ['model', 'set', 'world', 'write-set', 'frames', 'policies', 'sparsities', 'single', 'turns', 'backend', 'threads', 'vision-bits', 'out',
    ...Object.values(RETRIEVAL_FLAGS)],
  booleans: ['describe'],
};

export { configLabel, evalConfigs, parseSparsities, type EvalConfig };

interface Tally { correct: number; total: number }

export interface ConfigResult extends EvalConfig {
  label: string;
  /** Per conversation turn: correct / asked. */
  turns: Tally[];
  /** Conversation turns by question type ("describe" for --describe's turn); `partial`: summed credit for the items
   *  (objects) named in order (answer-score.ts; a one-word answer's is 0 or 1). */
  byType: Record<string, Tally & { partial: number }>;
  meanMs: { vision: number; prefill: number; retrieval: number; decode: number; ttft: number; total: number };
  /** Decode time per generated token after the first (the tokens decode retrieval acts on). */
  decodeMsPerToken: number;
  visualTokensRetained: number;
  /** Mean per turn of the visual tokens decode read (mean over layers; the retained count without retrieval). */
  visualTokensRead: number;
}

export interface EvalResults {
  model: string;
  backend: string;
  frames: number;
  videos: number;
  seeds: number[];
  /** Decode retrieval budgets' floor (--min-retrieved): round((1 - r) x retained), never below it. */
  minRetrieved: number;
  single: { correct: number; total: number; byType: Record<string, { correct: number; total: number }> };
  configs: ConfigResult[];
}

function openSession(model: LoadedModel, video: PreparedVideo, c: EvalConfig): Promise<ChatSession> {
  const sparse: SparseSettings = { policy: c.policy, prefillSparsity: c.prefillSparsity, decodeSparsity: c.decodeSparsity, perFrameFloor: 0, history: 'none', retrieval: c.retrieval };
  return ChatSession.create(model, video, { sparse });
}

async function ask(session: ChatSession, q: Question) {
  const maxNewTokens = q.type === 'describe' ? 12 : 3;
  const r = await session.ask(q.question, { maxNewTokens, temperature: 0, topP: 1, seed: 0 });
  const ok = answerMatches(r.answer, q.answer);
  const partial = q.type === 'describe' ? scoreItems(r.answer, answerItems(q.answer), q.answer).partial : ok ? 1 : 0;
  return { ok, partial, answer: r.answer, m: r.measure, r };
}

export async function runEval(model: LoadedModel, set: EvalSet, setDir: string, opts: { frames: number; configs: EvalConfig[]; single: number; describe?: boolean; progress?: (label: string, done: number, total: number) => void }): Promise<EvalResults> {
  if (!model.dir) throw new UsageError('eval needs a model folder (its preprocessor config and tokenizer)');
  const preprocess = loadPreprocessConfig(model.dir);
  const single = { correct: 0, total: 0, byType: {} as Record<string, { correct: number; total: number }> };
  const results: ConfigResult[] = opts.configs.map((c) => ({
    ...c, label: configLabel(c), turns: [], byType: {}, visualTokensRetained: 0, visualTokensRead: 0, decodeMsPerToken: 0,
    meanMs: { vision: 0, prefill: 0, retrieval: 0, decode: 0, ttft: 0, total: 0 },
  }));
  let timedTurns = 0;
  const decodeTokens = results.map(() => 0);
  for (const [vi, item] of set.items.entries()) {
    const video = await prepareVideo(join(setDir, item.video), { sampling: { mode: 'uniform', frames: opts.frames }, preprocess, thumbnailWidth: 0, cacheDir: null });
    for (const [ci, c] of opts.configs.entries()) {
      const res = results[ci];
      const session = await openSession(model, video, c);
      try {
        const turnsAsked = opts.describe ? [...item.conversation, describeQuestion(makeScene(item.seed))] : item.conversation;
        for (const [t, q] of turnsAsked.entries()) {
          const a = await ask(session, q);
          const bt = (res.byType[q.type] ??= { correct: 0, total: 0, partial: 0 });
          bt.partial += a.partial;
          for (const tb of [(res.turns[t] ??= { correct: 0, total: 0 }), bt]) {
            tb.total++;
            if (a.ok) tb.correct++;
          }
          const tm = a.m.timings;
          res.meanMs.vision += tm.visionMs;
          res.meanMs.prefill += tm.prefillMs;
          res.meanMs.retrieval += tm.retrievalMs;
          res.meanMs.decode += tm.decodeMs;
          res.meanMs.ttft += tm.ttftMs;
          res.meanMs.total += tm.totalMs;
          res.visualTokensRetained += a.r.visualTokens;
          res.visualTokensRead += turnStats(a.m).visualTokensRetrieved;
          decodeTokens[ci] += Math.max(0, a.m.tokens - 1);
        }
        if (c.policy === 'dense') {
          for (const q of item.single.slice(0, opts.single)) {
            const a = await ask(session, q);
            single.total++;
            const bt = (single.byType[q.type] ??= { correct: 0, total: 0 });
            bt.total++;
            if (a.ok) { single.correct++; bt.correct++; }
          }
        }
      } finally {
        session.dispose();
      }
    }
    timedTurns += item.conversation.length + (opts.describe ? 1 : 0);
    opts.progress?.(`dense single-turn ${single.correct}/${single.total} right; video`, vi + 1, set.items.length);
  }
  for (const [ci, r] of results.entries()) {
    r.decodeMsPerToken = decodeTokens[ci] ? round(r.meanMs.decode / decodeTokens[ci]) : 0;
    for (const k of Object.keys(r.meanMs) as (keyof ConfigResult['meanMs'])[]) r.meanMs[k] = round(r.meanMs[k] / Math.max(1, timedTurns));
    r.visualTokensRetained = round(r.visualTokensRetained / Math.max(1, timedTurns));
    r.visualTokensRead = round(r.visualTokensRead / Math.max(1, timedTurns));
  }
  return {
    model: model.name, backend: model.backend.device, frames: opts.frames, videos: set.items.length,
    seeds: set.items.map((i) => i.seed), minRetrieved: minRetrievedOf(opts.configs), single, configs: results,
  };
}


const round = (x: number) => Math.round(x * 100) / 100;
export const pct = (c: { correct: number; total: number } | undefined) => (c && c.total ? `${((100 * c.correct) / c.total).toFixed(1)}%` : '-');

/** Accuracy per conversation turn and mean timings, one row per config. */
export function resultsTable(r: EvalResults): string {
  const turns = Math.max(...r.configs.map((c) => c.turns.length));
  const head = ['config', ...Array.from({ length: turns }, (_, i) => `turn ${i + 1}`), 'visual kept', 'vision ms', 'prefill ms', 'retrieval ms', 'decode ms', 'TTFT ms'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const c of r.configs) {
    lines.push(`| ${c.label} | ${Array.from({ length: turns }, (_, i) => pct(c.turns[i])).join(' | ')} | ${c.visualTokensRetained} | `
      + `${c.meanMs.vision} | ${c.meanMs.prefill} | ${c.meanMs.retrieval} | ${c.meanMs.decode} | ${c.meanMs.ttft} |`);
  }
  return lines.join('\n');
}

export function resultsMarkdown(r: EvalResults): string {
  const types = Object.entries(r.single.byType).sort().map(([t, c]) => `${t} ${pct(c)}`).join(', ');
  return `Dense single-turn accuracy: ${pct(r.single)} (${r.single.correct}/${r.single.total}; ${types}).${budgetNote(r.minRetrieved)}\n\n${resultsTable(r)}\n`;
}


export async function evalCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) { console.log(EVAL_HELP); return 0; }
  const a = parseCommandArgs(argv, EVAL_OPTIONS, EVAL_HELP);
  const modelDir = str(a, 'model', true)!;
  const setSpec = str(a, 'set', true)!;
  const world = oneOf(a, 'world', ['v1', 'v2'] as const, 'v1');
  const frames = int(a, 'frames', world === 'v2' ? 32 : 16)!;
  const policies = (str(a, 'policies') ?? POLICY_NAMES.join(',')).split(',').filter(Boolean) as PolicyName[];
  for (const p of policies) if (!POLICY_NAMES.includes(p)) throw new UsageError(`--policies: unknown policy "${p}" (${POLICY_NAMES.join(', ')})`);
  const stderr = progressWriter();
  const log = (s: string) => stderr.line(s);
  let seeds: number[] | null;
  try { seeds = parseSeedRange(setSpec); } catch (e) { throw new UsageError((e as Error).message); }
  const { base, list } = evalRetrievals(a);
  if (world === 'v2') return evalV2Command(a, { modelDir, setSpec, seeds, frames, policies, base, list, log, progress: stderr.progress });
  if (a.flags.has('turns')) throw new UsageError('--turns is for --world v2 (v1 conversations have 3 turns, + --describe)');
  const configs = withEvalRetrievals(evalConfigs(policies, parseSparsities(str(a, 'sparsities') ?? '0.5:0.75,0.75:0.9')), base, list);
  let setDir = setSpec;
  let set: EvalSet;
  if (seeds) {
    setDir = str(a, 'write-set') ?? mkdtempSync(join(tmpdir(), 'sparsevila-eval-'));
    log(`rendering ${seeds.length} videos into ${setDir}\n`);
    set = await writeEvalSet(setDir, seeds, resolveFfmpeg().ffmpeg);
  } else {
    set = readEvalSet(setDir);
  }
  const model = await loadModel(modelDir, { backend: oneOf<BackendChoice>(a, 'backend', BACKENDS, 'auto'), threads: int(a, 'threads'), visionPrecision: visionPrecision(a) });
  try {
    const t0 = Date.now();
    const r = await runEval(model, set, setDir, { frames, configs, single: int(a, 'single', 4)!, describe: a.flags.has('describe'), progress: stderr.progress });
    log(`${set.items.length} videos in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    const out = str(a, 'out');
    if (out) writeFileSync(out, JSON.stringify(r, null, 1) + '\n');
    process.stdout.write(resultsMarkdown(r));
  } finally {
    model.dispose();
  }
  return 0;
}

async function evalV2Command(a: ParsedArgs, o: { modelDir: string; setSpec: string; seeds: number[] | null; frames: number; policies: PolicyName[]; base: RetrievalSettings; list: RetrievalSettings[]; log: (s: string) => void; progress: (label: string, done: number, total: number) => void }): Promise<number> {
  const turns = int(a, 'turns', 4)!;
  if (turns < 1 || turns > MAX_TURNS_V2) throw new UsageError(`--turns must be 1..${MAX_TURNS_V2}, got ${turns}`);
  if (a.flags.has('describe') || a.flags.has('single')) throw new UsageError('--describe and --single are for --world v1 (every v2 turn is several words)');
  const configs = withEvalRetrievals(v2Configs(o.policies, parseSparsities(str(a, 'sparsities') ?? '0.5:0.75,0.75:0.9')), o.base, o.list);
  let setDir = o.setSpec;
  let set: EvalSetV2;
  if (o.seeds) {
    setDir = str(a, 'write-set') ?? mkdtempSync(join(tmpdir(), 'sparsevila-eval-v2-'));
    o.log(`rendering ${o.seeds.length} world-v2 videos into ${setDir}\n`);
    set = await writeEvalSetV2(setDir, o.seeds, resolveFfmpeg().ffmpeg);
  } else {
    set = readEvalSetV2(setDir);
  }
  const model = await loadModel(o.modelDir, { backend: oneOf<BackendChoice>(a, 'backend', BACKENDS, 'auto'), threads: int(a, 'threads'), visionPrecision: visionPrecision(a) });
  try {
    const t0 = Date.now();
    const r = await runEvalV2({ name: model.name, device: model.backend.device }, set, setDir, chatSessionRunner(model),
      { frames: o.frames, turns, configs, progress: o.progress, prepare: appVideoPreparer(o.modelDir, o.frames) });
    o.log(`${set.items.length} videos in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    const out = str(a, 'out');
    if (out) writeFileSync(out, JSON.stringify(r, null, 1) + '\n');
    process.stdout.write(resultsTableV2(r) + '\n');
  } finally {
    model.dispose();
  }
  return 0;
}
