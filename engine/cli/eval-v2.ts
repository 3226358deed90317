// `sparsevila eval --world v2`: world v2's conversations (every turn a several-word answer) asked through ChatSession
// under each policy, scored per item in order (partial credit + exact match), reported per question type, per turn,
// per answer length (expected items) and per config; with baselines: the trivial answer (the most common answer of
// each type in the set, no model), prefill-only at the decode-time token count of each sparsevila pair, query-prune.
import { join } from 'node:path';
import type { LoadedModel } from '../core/models/load-model.ts';
import { ChatSession } from '../core/session/chat-session.ts';
import type { PolicyName, SparseSettings } from '../core/sparse/policy.ts';
import { turnStats } from '../core/sparse/stats.ts';
import { scoreItems } from '../core/synthetic/answer-score.ts';
import type { EvalSetV2 } from '../core/synthetic/eval-set-v2.ts';
import type { QuestionV2 } from '../core/synthetic/questions-v2.ts';
import { prepareVideo, type PreparedVideo } from '../core/video/prepare-video.ts';
import { loadPreprocessConfig } from '../core/video/preprocess-config.ts';
import { budgetNote, configLabel, evalConfigs, minRetrievedOf, type EvalConfig } from './eval-configs.ts';

export interface V2Config extends EvalConfig {
  label: string;
  /** 'trivial': no model, the most common answer of each type. */
  kind: 'model' | 'trivial';
}

export interface Tally {
  asked: number;
  /** Sums over the asked turns: item partial credit (0..1) and exact matches. */
  partial: number;
  exact: number;
}

export interface V2ConfigResult extends V2Config {
  overall: Tally;
  byTurn: Tally[];
  byType: Record<string, Tally>;
  byLength: Record<string, Tally>;
  /** Means per turn: visual tokens in the KV cache, and those decode read (mean over layers). */
  visualRetained: number;
  visualRead: number;
  meanMs: { ttft: number; decodePerToken: number };
  /** [seed, turn, partial, exact, answer when not exact]. */
  answers: [number, number, number, number, string?][];
}

export interface EvalV2Results {
  world: 'v2';
  model: string;
  backend: string;
  frames: number;
  turns: number;
  videos: number;
  seeds: number[];
  /** Decode retrieval budgets' floor (--min-retrieved). */
  minRetrieved: number;
  configs: V2ConfigResult[];
}

/** evalConfigs' (with prefill-only at each sparsevila pair's decode-time visual count), and the trivial answer. */
export function v2Configs(policies: readonly PolicyName[], pairs: readonly [number, number][]): V2Config[] {
  return [...evalConfigs(policies, pairs).map((c): V2Config => ({ ...c, label: configLabel(c), kind: 'model' })),
    { policy: 'dense', prefillSparsity: 0, decodeSparsity: 0, label: 'trivial (most common answer per type)', kind: 'trivial' }];
}

/** Answer-length bucket of a question: how many items it expects. */
export function lengthBucket(items: number): string {
  return items <= 2 ? '1-2 items' : items <= 4 ? '3-4 items' : items <= 6 ? '5-6 items' : '7-8 items';
}

/** The most common expected answer of each type among the turns asked (ties: the first seen). */
export function trivialAnswers(set: EvalSetV2, turns: number): Record<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const it of set.items) {
    for (const q of it.conversation.slice(0, turns)) {
      const m = counts.get(q.type) ?? new Map<string, number>();
      m.set(q.answer, (m.get(q.answer) ?? 0) + 1);
      counts.set(q.type, m);
    }
  }
  const out: Record<string, string> = {};
  for (const [type, m] of counts) out[type] = [...m.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return out;
}

const tally = (): Tally => ({ asked: 0, partial: 0, exact: 0 });

/** What one asked turn gave: the answer text and, for model configs, the turn's token accounting and timings. */
export interface TurnAnswer {
  answer: string;
  visualRetained?: number;
  visualRead?: number;
  ttftMs?: number;
  decodeMs?: number;
  tokens?: number;
}

/** Asks one config's conversation about one video and returns each turn's answer. */
export type ConversationRunner = (video: PreparedVideo | null, config: V2Config, questions: QuestionV2[]) => Promise<TurnAnswer[]>;

export interface V2Options {
  frames: number;
  turns: number;
  configs: V2Config[];
  progress?: (label: string, done: number, total: number) => void;
  /** Prepares a set item's video (default: the app's path: ffmpeg decode + preprocess). */
  prepare?: (file: string) => Promise<PreparedVideo | null>;
}

export async function runEvalV2(model: { name: string; device: string }, set: EvalSetV2, setDir: string, run: ConversationRunner, o: V2Options): Promise<EvalV2Results> {
  const trivial = trivialAnswers(set, o.turns);
  const results: V2ConfigResult[] = o.configs.map((c) => ({
    ...c, overall: tally(), byTurn: [], byType: {}, byLength: {}, visualRetained: 0, visualRead: 0,
    meanMs: { ttft: 0, decodePerToken: 0 }, answers: [],
  }));
  const decodeTokens = results.map(() => 0);
  for (const [vi, item] of set.items.entries()) {
    const questions = item.conversation.slice(0, o.turns);
    if (questions.length < o.turns) throw new Error(`${item.video}: the manifest has ${questions.length} turns, --turns asks ${o.turns}`);
    const video = o.prepare ? await o.prepare(join(setDir, item.video)) : null;
    for (const [ci, c] of o.configs.entries()) {
      const res = results[ci];
      const answers: TurnAnswer[] = c.kind === 'trivial' ? questions.map((q) => ({ answer: trivial[q.type] })) : await run(video, c, questions);
      for (const [t, q] of questions.entries()) {
        const a = answers[t];
        const s = scoreItems(a.answer, q.items, q.answer);
        for (const tb of [res.overall, (res.byTurn[t] ??= tally()), (res.byType[q.type] ??= tally()), (res.byLength[lengthBucket(q.items.length)] ??= tally())]) {
          tb.asked++;
          tb.partial += s.partial;
          tb.exact += s.exact ? 1 : 0;
        }
        res.answers.push(s.exact ? [item.seed, t + 1, round(s.partial), 1] : [item.seed, t + 1, round(s.partial), 0, a.answer]);
        res.visualRetained += a.visualRetained ?? 0;
        res.visualRead += a.visualRead ?? 0;
        res.meanMs.ttft += a.ttftMs ?? 0;
        res.meanMs.decodePerToken += a.decodeMs ?? 0;
        decodeTokens[ci] += Math.max(0, (a.tokens ?? 1) - 1);
      }
    }
    o.progress?.('videos', vi + 1, set.items.length);
  }
  for (const [ci, r] of results.entries()) {
    const n = Math.max(1, r.overall.asked);
    r.visualRetained = round(r.visualRetained / n);
    r.visualRead = round(r.visualRead / n);
    r.meanMs.ttft = round(r.meanMs.ttft / n);
    r.meanMs.decodePerToken = decodeTokens[ci] ? round(r.meanMs.decodePerToken / decodeTokens[ci]) : 0;
  }
  return {
    world: 'v2', model: model.name, backend: model.device, frames: o.frames, turns: o.turns, videos: set.items.length,
    seeds: set.items.map((i) => i.seed), minRetrieved: minRetrievedOf(o.configs), configs: results,
  };
}

/** The app's path: one ChatSession per config and video (history "none"), greedy answers of up to 24 tokens. */
export function chatSessionRunner(model: LoadedModel): ConversationRunner {
  return async (video, c, questions) => {
    if (!video) throw new Error('eval v2: no prepared video');
    const sparse: SparseSettings = { policy: c.policy, prefillSparsity: c.prefillSparsity, decodeSparsity: c.decodeSparsity, perFrameFloor: 0, history: 'none', retrieval: c.retrieval };
    const session = await ChatSession.create(model, video, { sparse });
    try {
      const out: TurnAnswer[] = [];
      for (const q of questions) {
        const r = await session.ask(q.question, { maxNewTokens: 24, temperature: 0, topP: 1, seed: 0 });
        out.push({ answer: r.answer, visualRetained: r.visualTokens, visualRead: turnStats(r.measure).visualTokensRetrieved, ttftMs: r.measure.timings.ttftMs,
          decodeMs: r.measure.timings.decodeMs, tokens: r.measure.tokens });
      }
      return out;
    } finally {
      session.dispose();
    }
  };
}

export function appVideoPreparer(modelDir: string, frames: number): (file: string) => Promise<PreparedVideo> {
  const preprocess = loadPreprocessConfig(modelDir);
  return (file) => prepareVideo(file, { sampling: { mode: 'uniform', frames }, preprocess, thumbnailWidth: 0, cacheDir: null });
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const pct = (t: Tally | undefined, key: 'partial' | 'exact') => (t && t.asked ? `${((100 * t[key]) / t.asked).toFixed(1)}%` : '-');
const both = (t: Tally | undefined) => (t && t.asked ? `${pct(t, 'partial')} / ${pct(t, 'exact')}` : '-');

/** Three tables (items named in order / exact): per config overall and per turn; per type; per answer length. */
export function resultsTableV2(r: EvalV2Results): string {
  const types = [...new Set(r.configs.flatMap((c) => Object.keys(c.byType)))].sort();
  const lengths = [...new Set(r.configs.flatMap((c) => Object.keys(c.byLength)))].sort();
  const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
  const perTurn = table(
    ['config', 'all: items / exact', ...Array.from({ length: r.turns }, (_, i) => `turn ${i + 1}`), 'visual kept', 'decode reads', 'TTFT ms', 'decode ms/token'],
    r.configs.map((c) => [c.label, both(c.overall), ...Array.from({ length: r.turns }, (_, i) => both(c.byTurn[i])),
      ...(c.kind === 'trivial' ? ['-', '-', '-', '-'] : [String(c.visualRetained), String(c.visualRead), String(c.meanMs.ttft), String(c.meanMs.decodePerToken)])]));
  const perType = table(['config', ...types], r.configs.map((c) => [c.label, ...types.map((t) => both(c.byType[t]))]));
  const perLength = table(['config', ...lengths], r.configs.map((c) => [c.label, ...lengths.map((l) => both(c.byLength[l]))]));
  return `${r.videos} videos (seeds ${r.seeds[0]}-${r.seeds.at(-1)}), ${r.frames} frames, ${r.turns} turns each, model ${r.model} (${r.backend}). `
    + `Cells: items named in order (partial credit) / exact answers.${budgetNote(r.minRetrieved)}\n\n${perTurn}\n\nPer question type:\n\n${perType}\n\nPer answer length (expected items):\n\n${perLength}`;
}

