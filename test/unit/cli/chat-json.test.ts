import { describe, expect, it } from 'vitest';
import { turnJson, turnLine } from '../../../engine/cli/chat.ts';
import type { TurnStats } from '../../../electron/contract.ts';
import type { TurnOutput } from '../../../engine/core/session/chat-session.ts';

function turn(n: number, visionMs: number, prefixPrefillMs: number): TurnOutput {
  return {
    turn: n, question: 'q', answer: 'a', tokenIds: [1], tokens: 1, stopReason: 'eos', promptTokens: 9,
    visualTokens: 64, visualTokensTotal: 256, kvBytes: 100, decodeTokensPerSec: 0,
    timings: { visionMs, prefixPrefillMs, prefillMs: 5, decodeMs: 7, ttftMs: 6, totalMs: 13 },
  };
}

describe('sparsevila chat --json timings', () => {
  it('turn 1 TTFT and total include vision encoding and the prefix prefill (as TurnStats and bench do)', () => {
    const j = turnJson(turn(1, 150, 80));
    expect(j.ttft_ms).toBe(150 + 80 + 6);
    expect(j.total_ms).toBe(150 + 80 + 13);
    expect(j.ttft_ms as number).toBeGreaterThanOrEqual((j.vision_ms as number) + (j.prefill_ms as number));
  });

  it('later turns: TTFT is the question prefill to the first token only', () => {
    const j = turnJson(turn(2, 0, 0));
    expect(j.ttft_ms).toBe(6);
    expect(j.total_ms).toBe(13);
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
