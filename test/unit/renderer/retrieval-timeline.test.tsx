// Retrieval that changes during an answer reaches the inspector: the core's per-frame summary of a turn's timeline,
// and the rows the inspector draws from it (none when one set served the whole answer).
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorTurn } from '../../../electron/contract.ts';
import { RetrievalTimeline } from '../../../renderer/src/components/RetrievalTimeline.tsx';
import { makeTimings, retrievalTimeline, type TurnMeasure } from '../../../engine/core/sparse/stats.ts';

const measure = (timeline: TurnMeasure['timeline']): TurnMeasure => ({
  turn: 1, policy: 'sparsevila', tokens: 5, visualTotal: 8, retainedIds: Int32Array.of(0, 1, 4, 5, 6), retrievedByLayer: null,
  massShareByLayer: null, timeline, kvBytes: 0, prefixPrefillMs: 0,
  timings: makeTimings({ visionMs: 0, prefillMs: 0, retrievalMs: 0, decodeMs: 0, ttftMs: 0, tokens: 5 }), denseTimings: null,
});

describe('retrieval timeline', () => {
  it('counts each change\'s tokens per frame, mean over layers', () => {
    // 2 frames of 4 tokens; retained ids 0,1 (frame 0) and 4,5,6 (frame 1)
    const tl = retrievalTimeline(measure([
      { fromToken: 1, byLayer: [Int32Array.of(0, 1), Int32Array.of(0, 2)] },
      { fromToken: 3, byLayer: [Int32Array.of(2, 3), Int32Array.of(3, 4)] },
    ]), 2, 4)!;
    expect(tl).toEqual([{ fromToken: 1, readPerFrame: [1.5, 0.5] }, { fromToken: 3, readPerFrame: [0, 2] }]);
    expect(retrievalTimeline(measure(null), 2, 4)).toBeNull();
  });

  it('the inspector draws one row per change with a cell per frame', () => {
    const t = { visionMs: 1, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs: 3, tokensPerSec: 1 };
    const turn: InspectorTurn = {
      turn: 1, frames: 2, gridH: 2, gridW: 2, frameTimes: [0, 0.5], saliency: null, retained: [0, 1, 4, 5, 6], retrievedByLayer: [[0, 1, 4]],
      retrievalTimeline: [{ fromToken: 1, readPerFrame: [1.5, 0.5] }, { fromToken: 3, readPerFrame: [0, 2] }],
      stats: { turn: 1, policy: 'sparsevila', tokens: 5, visualTokensTotal: 8, visualTokensRetained: 5, visualTokensRetrieved: 3, kvBytes: 0, retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null },
    };
    const html = renderToStaticMarkup(<RetrievalTimeline turn={turn} />);
    expect(html.match(/role="row"/g)).toHaveLength(2);
    expect(html.match(/role="cell"/g)).toHaveLength(4);
    expect(html).toContain('from token 4');
    expect(html).toContain('frame 2: 2 of 4 tokens read');
    expect(renderToStaticMarkup(<RetrievalTimeline turn={{ ...turn, retrievalTimeline: null }} />)).toBe('');
  });
});
