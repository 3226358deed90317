import { describe, expect, it } from 'vitest';
import type { InspectorTurn } from '../../../electron/contract.ts';
import { classLabels, countsPerFrame, normalizedSaliency, PRUNED, READ_ALL, RETAINED, RETRIEVED, retrievalDepth, retrievalOverlap, tokenClasses } from '../../../renderer/src/lib/tokenMap.ts';

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

describe('per-policy truth: what the inspector says a token was', () => {
  const stats = turn().stats;
  const dense = turn({ retained: [0, 1, 2, 3, 4, 5, 6, 7], retrievedByLayer: [], saliency: null, stats: { ...stats, policy: 'dense' } });

  it('dense: every token is read at every layer, none is "not read"', () => {
    for (const layer of ['any', 0, 5] as const) expect([...tokenClasses(dense, layer)]).toEqual(Array(8).fill(READ_ALL));
    const l = classLabels(dense);
    expect(l[READ_ALL]).toMatch(/read at every layer/);
    expect(l[RETAINED]).toBeNull();
    expect(l[PRUNED]).toBeNull();
    expect(countsPerFrame(dense, tokenClasses(dense, 'any'))).toEqual([{ retained: 4, retrieved: 4 }, { retained: 4, retrieved: 4 }]);
  });

  it('prefill-only: pruned tokens are pruned, every kept one is read', () => {
    const t = turn({ retrievedByLayer: [], stats: { ...stats, policy: 'prefill-only' } });
    expect([...tokenClasses(t, 'any')]).toEqual([PRUNED, READ_ALL, READ_ALL, PRUNED, PRUNED, READ_ALL, READ_ALL, READ_ALL]);
    expect(classLabels(t)[PRUNED]).toBe('pruned at prefill');
    expect(classLabels(t)[RETAINED]).toBeNull();
  });

  it('query-prune: turn 1 deletes what it does not pick; later turns read all survivors', () => {
    const t1 = turn({ retrievedByLayer: [[2, 7], [2, 7]], stats: { ...stats, policy: 'query-prune' } });
    expect(classLabels(t1)[RETAINED]).toBe('deleted for good by this question');
    const t2 = turn({ turn: 2, retained: [2, 7], retrievedByLayer: [], stats: { ...stats, policy: 'query-prune' } });
    expect([...tokenClasses(t2, 'any')].filter((c) => c === READ_ALL).length).toBe(2);
    expect(classLabels(t2)[PRUNED]).toMatch(/deleted by turn 1/);
  });

  it('sparsevila: kept tokens decode did not retrieve are "not read this turn"', () => {
    expect(classLabels(turn())[RETAINED]).toBe('kept, not read this turn');
    expect(classLabels(turn())[READ_ALL]).toBeNull();
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

describe('retrievalOverlap (compare two turns)', () => {
  it('counts the tokens both turns read and those only one did, per layer or at any layer', () => {
    const a = turn();
    const b = turn({ turn: 2, retrievedByLayer: [[2, 6], [1]] });
    expect(retrievalOverlap(a, b, 0)).toEqual({ both: 1, onlyA: 1, onlyB: 1 }); // {2,7} vs {2,6}
    expect(retrievalOverlap(a, b, 'any')).toEqual({ both: 1, onlyA: 2, onlyB: 2 }); // {2,5,7} vs {1,2,6}
  });
  it('is null when a turn had no retrieval (it read every kept token)', () => {
    expect(retrievalOverlap(turn(), turn({ retrievedByLayer: [] }), 'any')).toBeNull();
  });
});
