// The benchmark workload behind `sparsevila bench`: one video, several turns, each policy/sparsity config timed on the
// same model through ChatSession, the app's conversation loop (token ids in, token ids out: synthetic weights have no
// tokenizer, so the prompt is random text ids shaped like the real one).
import type { LlavaOnevision } from '../models/llava-onevision.ts';
import type { LoadedQwenVl, LoadedVlm } from '../models/load-model.ts';
import { videoTokenCount } from '../models/llava-onevision-config.ts';
import { ChatSession, type SessionVideo } from '../session/chat-session.ts';
import { smartResizeFrame } from '../video/qwen-video-processor.ts';
import type { BenchConfig } from './config.ts';
import { turnStats, type TurnStats } from '../sparse/stats.ts';

export interface BenchWorkload {
  frames: number;
  turns: number;
  newTokens: number;
  /** Text tokens before the video (template head) and after it (LLaVA-Video time instruction), and per question. */
  headTokens?: number;
  instructionTokens?: number;
  questionTokens?: number;
  seed?: number;
}

export interface BenchResult {
  config: BenchConfig;
  prefixTokens: number;
  visualTotal: number;
  visualRetained: number;
  visionMs: number;
  prefixPrefillMs: number;
  turns: TurnStats[];
  /** Sum over turns of the turn's total (turn 1 includes vision and the prefix prefill). */
  endToEndMs: number;
  /** LLM prefill (prefix + all questions). */
  llmPrefillMs: number;
  meanDecodeTokensPerSec: number;
}

function lcg(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Token ids shaped like the real prompt: head, video placeholders (F·pooled² + 1), time instruction. */
export function benchPrompt(model: LlavaOnevision, w: BenchWorkload): { prefix: Int32Array; questions: Int32Array[] } {
  const cfg = model.config;
  const text = benchText(cfg.text.vocabSize, [cfg.videoTokenId, cfg.imageTokenId], w.seed ?? 7);
  const head = text(w.headTokens ?? 5);
  const instr = text(w.instructionTokens ?? 20 + 8 * w.frames);
  const nv = videoTokenCount(cfg, w.frames);
  const prefix = new Int32Array(head.length + nv + instr.length);
  prefix.set(head);
  prefix.fill(cfg.videoTokenId, head.length, head.length + nv);
  prefix.set(instr, head.length + nv);
  const questions = Array.from({ length: w.turns }, () => text(w.questionTokens ?? 24));
  return { prefix, questions };
}

/** Random text ids below the special tokens (and never the image/video placeholders). */
function benchText(vocabSize: number, avoid: readonly number[], seed: number): (n: number) => Int32Array {
  const rnd = lcg(seed);
  const vocab = Math.min(vocabSize, 150000);
  return (n) => Int32Array.from({ length: n }, () => {
    const id = Math.floor(rnd() * vocab);
    return avoid.includes(id) ? 1 : id;
  });
}

/** Qwen-VL bench frames: 448x252 (16:9) rounded as the processor's smart_resize rounds to patch x merge multiples, i.e.
 *  the app's Qwen2.5-VL path with max pixels 112896 (18 x 32 patches of 14 px, 144 tokens per group of 2 frames). */
export const QWEN_BENCH_FRAME = { width: 448, height: 252 };

/** The bench video: `frames` frames of seeded noise as the model's processor lays them out (Qwen-VL: flattened
 *  temporal patches with the grid, 2 frames per second, so one group per second; `frame`: their size before the
 *  processor's rounding, default QWEN_BENCH_FRAME; LLaVA frames are the tower's fixed size). */
export function benchVideo(model: LoadedVlm, frames: number, opts: { seed?: number; frame?: { width: number; height: number } } = {}): SessionVideo {
  const seed = opts.seed ?? 3, frame = opts.frame ?? QWEN_BENCH_FRAME;
  const frameTimes = Array.from({ length: frames }, (_, i) => i);
  if (model.kind !== 'qwen-vl') return { pixelValues: benchPixels(model.model, frames, seed), frames, frameTimes, durationSec: frames };
  const v = model.config.vision, T = v.temporalPatchSize;
  if (frames % T) throw new Error(`Qwen-VL bench videos need a multiple of ${T} frames (temporal patches), got ${frames}`);
  const f = v.patchSize * v.mergeSize;
  const [h, w] = smartResizeFrame(frame.height, frame.width, f, f * f, 2 ** 40);
  const grid = { t: frames / T, h: h / v.patchSize, w: w / v.patchSize };
  const rnd = lcg(seed);
  const pixelValues = Float32Array.from({ length: grid.t * grid.h * grid.w * v.channels * T * v.patchSize ** 2 }, () => rnd() * 2 - 1);
  const groupTimes = Array.from({ length: grid.t }, (_, i) => i * T / 2);
  return { pixelValues, frames, frameTimes: frameTimes.map((t) => t / 2), durationSec: frames / 2, qwen: { grid, secondPerGridTs: T / 2, groupTimes } };
}

export function benchPixels(model: LlavaOnevision, frames: number, seed = 3): Float32Array {
  const v = model.config.vision;
  const rnd = lcg(seed);
  return Float32Array.from({ length: frames * v.channels * v.imageSize * v.imageSize }, () => rnd() * 2 - 1);
}

/** Qwen-VL: the session builds the prefix from the chat template; the questions are random ids. */
function qwenBenchPrompt(model: LoadedQwenVl, w: BenchWorkload): { prefix: null; questions: Int32Array[] } {
  const c = model.config;
  const text = benchText(c.text.vocabSize, [c.videoTokenId, c.imageTokenId, c.visionStartTokenId, c.visionEndTokenId], w.seed ?? 7);
  return { prefix: null, questions: Array.from({ length: w.turns }, () => text(w.questionTokens ?? 24)) };
}

/** One config on one video: ChatSession.create (vision + prefix prefill), then `turns` questions of `newTokens` greedy
 *  tokens each (no EOS stop: every config decodes as many tokens), through the session + policy the app runs. */
export interface BenchReport {
  /** Whole lines (each ends in a newline). */
  log?: (line: string) => void;
  /** Vision tower progress, frame by frame. */
  progress?: (label: string, done: number, total: number) => void;
}

export async function runBenchConfig(model: LoadedVlm, config: BenchConfig, w: BenchWorkload,
  video: SessionVideo, report: BenchReport = {}): Promise<BenchResult> {
  const log = report.log ?? (() => {});
  if (video.frames !== w.frames) throw new Error(`bench video has ${video.frames} frames, the workload ${w.frames}`);
  // LLaVA bench models have no tokenizer: the whole prefix is ids. Qwen-VL sessions render their chat template.
  const { prefix, questions } = model.kind === 'qwen-vl' ? qwenBenchPrompt(model, w) : benchPrompt(model.model, w);
  const session = await ChatSession.create(model, video, {
    prefixIds: prefix ?? undefined,
    sparse: { policy: config.policy, prefillSparsity: config.prefillSparsity, decodeSparsity: config.decodeSparsity, perFrameFloor: 0, history: 'none', retrieval: config.retrieval },
    turnCapacity: (w.questionTokens ?? 24) + w.newTokens + 8,
    onProgress: (stage, d, n) => { if (stage === 'vision') report.progress?.(`  ${config.label}: vision`, d, n); },
  });
  try {
    const prefixTokens = session.prefixSlots, visualRetained = session.visualTokens;
    const turns: TurnStats[] = [];
    let visionMs = 0, prefixPrefillMs = 0;
    for (let t = 0; t < w.turns; t++) {
      const r = await session.askTokens(questions[t], { maxNewTokens: w.newTokens, eosTokenIds: [] });
      if (t === 0) {
        ({ visionMs, prefixPrefillMs } = r.timings);
        log(`  ${config.label}: vision ${visionMs.toFixed(0)} ms, prefix prefill ${prefixPrefillMs.toFixed(0)} ms (${prefixTokens} tokens)\n`);
      }
      const s = turnStats(r.measure);
      turns.push(s);
      log(`  ${config.label}: turn ${t + 1} ttft ${s.timings.ttftMs.toFixed(0)} ms, decode ${s.timings.tokensPerSec.toFixed(2)} tok/s\n`);
    }
    const decodeRates = turns.map((s) => s.timings.tokensPerSec);
    return {
      config,
      prefixTokens,
      visualTotal: session.video.frames * session.video.tokensPerFrame,
      visualRetained,
      visionMs,
      prefixPrefillMs,
      turns,
      endToEndMs: turns.reduce((a, s) => a + s.timings.totalMs, 0),
      llmPrefillMs: turns.reduce((a, s) => a + s.timings.prefillMs, 0),
      meanDecodeTokensPerSec: decodeRates.reduce((a, b) => a + b, 0) / decodeRates.length,
    };
  } finally {
    session.dispose();
  }
}

/** Markdown table of results, with speedups against the first dense row when there is one. */
export function benchTable(results: BenchResult[]): string {
  const dense = results.find((r) => r.config.policy === 'dense');
  const x = (a: number, b: number | undefined) => (b && a > 0 ? `${(b / a).toFixed(2)}x` : '—');
  const turns = Math.max(1, ...results.map((r) => r.turns.length));
  const ttftHead = `TTFT turn ${Array.from({ length: turns }, (_, i) => i + 1).join(' / ')} ms`;
  const rows = [
    `| config | visual tokens kept | vision ms | LLM prefill ms (prefix + questions) | ${ttftHead} | decode tok/s | end-to-end ms | E2E speedup | prefill speedup | decode speedup |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    rows.push(`| ${r.config.label} | ${r.visualRetained} / ${r.visualTotal} | ${r.visionMs.toFixed(0)} | ${r.llmPrefillMs.toFixed(0)} | `
      + `${r.turns.map((t) => t.timings.ttftMs.toFixed(0)).join(' / ')} | ${r.meanDecodeTokensPerSec.toFixed(2)} | ${r.endToEndMs.toFixed(0)} | `
      + `${x(r.endToEndMs, dense?.endToEndMs)} | ${x(r.llmPrefillMs, dense?.llmPrefillMs)} | `
      + `${dense && r.meanDecodeTokensPerSec > 0 ? `${(r.meanDecodeTokensPerSec / dense.meanDecodeTokensPerSec).toFixed(2)}x` : '—'} |`);
  }
  return rows.join('\n');
}
