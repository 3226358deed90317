// The benchmark workload behind `sparsevila bench`: one video, several turns, each policy/sparsity config timed on the
// same model with VideoConversation (token ids in, token ids out: synthetic weights have no tokenizer).
import type { LlavaOnevision } from '../models/llava-onevision.ts';
import { videoTokenCount } from '../models/llava-onevision-config.ts';
import type { BenchConfig } from './benchConfig.ts';
import { VideoConversation } from './conversation.ts';
import { turnStats } from './stats.ts';
import type { TurnStats } from '../../../electron/contract.ts';

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
  const rnd = lcg(w.seed ?? 7);
  const vocab = Math.min(cfg.text.vocabSize, 150000);
  const text = (n: number) => Int32Array.from({ length: n }, () => {
    let id = Math.floor(rnd() * vocab);
    if (id === cfg.videoTokenId || id === cfg.imageTokenId) id = 1;
    return id;
  });
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

export function benchPixels(model: LlavaOnevision, frames: number, seed = 3): Float32Array {
  const v = model.config.vision;
  const rnd = lcg(seed);
  return Float32Array.from({ length: frames * v.channels * v.imageSize * v.imageSize }, () => rnd() * 2 - 1);
}

export function runBenchConfig(model: LlavaOnevision, config: BenchConfig, w: BenchWorkload,
  pixels: Float32Array, log: (s: string) => void = () => {}): BenchResult {
  const { prefix, questions } = benchPrompt(model, w);
  const conv = new VideoConversation(model, {
    policy: config.policy, prefillSparsity: config.prefillSparsity, decodeSparsity: config.decodeSparsity, perFrameFloor: 0, history: 'none',
  }, { turnCapacity: (w.questionTokens ?? 24) + w.newTokens + 8 });
  try {
    const prep = conv.prepare(pixels, w.frames, prefix, { onFrame: (d, n) => log(`\r  ${config.label}: vision ${d}/${n}`) });
    log(`\r  ${config.label}: vision ${prep.visionMs.toFixed(0)} ms, prefix prefill ${prep.prefillMs.toFixed(0)} ms (${prep.prefixTokens} tokens)\n`);
    const turns: TurnStats[] = [];
    for (let t = 0; t < w.turns; t++) {
      const r = conv.ask(questions[t], { maxNewTokens: w.newTokens, eosTokenIds: [] });
      const s = turnStats(r.measure);
      turns.push(s);
      log(`  ${config.label}: turn ${t + 1} ttft ${s.timings.ttftMs.toFixed(0)} ms, decode ${s.timings.tokensPerSec.toFixed(2)} tok/s\n`);
    }
    const decodeRates = turns.map((s) => s.timings.tokensPerSec);
    return {
      config,
      prefixTokens: prep.prefixTokens,
      visualTotal: prep.visualTotal,
      visualRetained: prep.visualRetained,
      visionMs: prep.visionMs,
      prefixPrefillMs: prep.prefillMs,
      turns,
      endToEndMs: turns.reduce((a, s) => a + s.timings.totalMs, 0),
      llmPrefillMs: turns.reduce((a, s) => a + s.timings.prefillMs, 0),
      meanDecodeTokensPerSec: decodeRates.reduce((a, b) => a + b, 0) / decodeRates.length,
    };
  } finally {
    conv.dispose();
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
