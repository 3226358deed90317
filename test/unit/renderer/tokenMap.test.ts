import { describe, expect, it } from 'vitest';
import type { InspectorTurn } from '../../../electron/contract.ts';
import { countsPerFrame, normalizedSaliency, PRUNED, RETAINED, RETRIEVED, retrievalDepth, tokenClasses } from '../../../renderer/src/lib/tokenMap.ts';

// 2 frames of a 2x2 grid: tokens 0..7.
function turn(over: Partial<InspectorTurn> = {}): InspectorTurn {
  const t = { visionMs: 1, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs: 3, tokensPerSec: 1 };
  return {
    turn: 1,
    frames: 2,
    gridH: 2,
    gridW: 2,
    frameTimes: [0, 1],
    saliency: [0, 1, 2, 3, 4, 5, 6, 100],
    retained: [1, 2, 5, 6, 7],
    retrievedByLayer: [
      [2, 7],
      [2, 5],
    ],
    stats: {
      turn: 1,
      policy: 'sparsevila',
      tokens: 1,
      visualTokensTotal: 8,
      visualTokensRetained: 5,
      visualTokensRetrieved: 2,
      kvBytes: 0,
      retrievedMassShare: null,
      timings: t,
      denseTimings: null,
      speedupVsDense: null,
    },
    ...over,
  };
}

describe('tokenClasses', () => {
  it('marks pruned, retained and retrieved tokens for one layer', () => {
    expect([...tokenClasses(turn(), 0)]).toEqual([PRUNED, RETAINED, RETRIEVED, PRUNED, PRUNED, RETAINED, RETAINED, RETRIEVED]);
    expect([...tokenClasses(turn(), 1)]).toEqual([PRUNED, RETAINED, RETRIEVED, PRUNED, PRUNED, RETRIEVED, RETAINED, RETAINED]);
  });

  it('takes the union over layers in the any-layer view and counts the layers', () => {
    expect([...tokenClasses(turn(), 'any')]).toEqual([PRUNED, RETAINED, RETRIEVED, PRUNED, PRUNED, RETRIEVED, RETAINED, RETRIEVED]);
    expect([...retrievalDepth(turn())]).toEqual([0, 0, 2, 0, 0, 1, 0, 1]);
  });

  it('never paints a pruned token as retrieved, and ignores out-of-range indices', () => {
    const t = turn({ retrievedByLayer: [[0, 3, 99, -1]] });
    expect([...tokenClasses(t, 0)]).toEqual([PRUNED, RETAINED, RETAINED, PRUNED, PRUNED, RETAINED, RETAINED, RETAINED]);
  });

  it('treats a missing layer (dense, prefill-only) as nothing retrieved', () => {
    const t = turn({ retrievedByLayer: [] });
    expect(tokenClasses(t, 3).filter((c) => c === RETRIEVED).length).toBe(0);
  });
});

describe('countsPerFrame / normalizedSaliency', () => {
  it('counts kept and retrieved tokens per frame', () => {
    expect(countsPerFrame(turn(), tokenClasses(turn(), 'any'))).toEqual([
      { retained: 2, retrieved: 1 },
      { retained: 3, retrieved: 2 },
    ]);
  });

  it('scales saliency to [0, 1] with a robust top and returns null without saliency', () => {
    const s = normalizedSaliency(turn())!;
    expect(s[0]).toBe(0);
    expect(Math.max(...s)).toBe(1);
    expect(normalizedSaliency(turn({ saliency: null }))).toBeNull();
  });
});
