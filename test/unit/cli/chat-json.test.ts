import { describe, expect, it } from 'vitest';
import { turnJson, turnLine } from '../../../engine/cli/chat.ts';
import type { TurnOutput } from '../../../engine/core/session/chat-session.ts';
import { makeTimings, turnStats, type TurnMeasure, type TurnStats } from '../../../engine/core/sparse/stats.ts';

function turn(n: number, visionMs: number, prefixPrefillMs: number): TurnOutput {
  const timings = { visionMs, prefixPrefillMs, prefillMs: 5, decodeMs: 7, ttftMs: 6, totalMs: 13 };
  const measure: TurnMeasure = {
    turn: n, policy: 'sparsevila', tokens: 1, visualTotal: 256, retainedIds: Int32Array.of(0, 17, 40), retrievedByLayer: null,
    massShareByLayer: null, timeline: null, kvBytes: 100, prefixPrefillMs,
    timings: makeTimings({ visionMs, prefillMs: prefixPrefillMs + 4, retrievalMs: 1, decodeMs: 7, ttftMs: visionMs + prefixPrefillMs + 6, tokens: 2 }),
    denseTimings: null,
  };
  return {
    turn: n, question: 'q', answer: 'a', tokenIds: [1], tokens: 1, stopReason: 'eos', promptTokens: 9,
    visualTokens: 64, visualTokensTotal: 256, kvBytes: 100, decodeTokensPerSec: 0, timings, measure,
  };
}

const line = (r: TurnOutput) => turnJson(r, turnStats(r.measure), 4);

describe('sparsevila chat --json', () => {
  it('turn 1 TTFT and total include vision encoding and the prefix prefill (as TurnStats and bench do)', () => {
    const j = line(turn(1, 150, 80)) as { timings: Record<string, number> };
    expect(j.timings.ttft_ms).toBe(150 + 80 + 6);
    expect(j.timings.total_ms).toBe(150 + 80 + 4 + 1 + 7);
  });

  it('one value per field: no name of the line is repeated in its timings, and the prefill splits', () => {
    const j = line(turn(1, 150, 80)) as Record<string, unknown> & { timings: Record<string, number> };
    expect(Object.keys(j)).not.toContain('stats');
    for (const k of Object.keys(j)) expect(Object.keys(j.timings)).not.toContain(k);
    expect((j.prefix_prefill_ms as number) + (j.question_prefill_ms as number)).toBe(j.timings.prefill_ms);
    expect(j.prefix_prefill_ms).toBe(80);
    expect(j.retained_cells).toEqual([[0, 0, 0], [1, 0, 1], [2, 2, 0]]);
  });

  it('later turns: no prefix prefill, TTFT is the question prefill to the first token only', () => {
    const j = line(turn(2, 0, 0)) as { prefix_prefill_ms: number; timings: Record<string, number> };
    expect(j.prefix_prefill_ms).toBe(0);
    expect(j.timings.ttft_ms).toBe(6);
  });
});

describe('sparsevila chat text summary line', () => {
  const t = { visionMs: 0, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs: 2, tokensPerSec: 1 };
  const stats = (speedupVsDense: number | null): TurnStats => ({
    turn: 1, policy: 'sparsevila', tokens: 1, visualTokensTotal: 256, visualTokensRetained: 64, visualTokensRetrieved: 6, kvBytes: 1,
    retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense,
  });
  it('"1 token", and a slowdown vs dense is called one', () => {
    expect(turnLine(turn(1, 0, 0), stats(0.72))).toMatch(/^\[turn 1: 1 token, .* 0\.72x vs dense \(slower\)\]/);
    expect(turnLine({ ...turn(2, 0, 0), tokens: 3 }, stats(2.5))).toMatch(/3 tokens, .* 2\.50x vs dense\]/);
  });
});
