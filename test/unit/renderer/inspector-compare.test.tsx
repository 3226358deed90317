// Comparing two turns' times is only meaningful like for like: a re-ask under another policy prepares the video again,
// so its time includes encoding the video while the original later turn's does not; the inspector says so.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorTurn, PolicyName } from '../../../electron/contract.ts';
import { CompareTimes } from '../../../renderer/src/components/Inspector.tsx';

function turn(n: number, policy: PolicyName, visionMs: number, totalMs: number): InspectorTurn {
  const t = { visionMs, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs, tokensPerSec: 1 };
  return {
    turn: n, frames: 1, gridH: 1, gridW: 1, frameTimes: [0], saliency: null, retained: [0], retrievedByLayer: [],
    stats: { turn: n, policy, tokens: 1, visualTokensTotal: 1, visualTokensRetained: 1, visualTokensRetrieved: 1, kvBytes: 0, retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null },
  };
}

describe('inspector: comparing two turns\' times', () => {
  it('flags a comparison where only one turn paid for encoding the video', () => {
    const html = renderToStaticMarkup(<CompareTimes a={turn(3, 'sparsevila', 0, 19)} b={turn(4, 'dense', 198, 407)} />);
    expect(html).toContain('not like for like: only turn 4 includes encoding the video');
    expect(html).not.toContain('less time');
    expect(html).toContain('For a fair speedup');
  });
  it('same policy, turn 1 vs a later turn: the first question paid for the video; no advice about dense', () => {
    const html = renderToStaticMarkup(<CompareTimes a={turn(1, 'sparsevila', 180, 300)} b={turn(2, 'sparsevila', 0, 13)} />);
    expect(html).toContain('only turn 1 includes encoding the video (the first question on a prepared video pays for it');
    expect(html).not.toContain('For a fair speedup');
  });
  it('states the ratio when both are alike', () => {
    const html = renderToStaticMarkup(<CompareTimes a={turn(1, 'sparsevila', 100, 200)} b={turn(2, 'dense', 150, 500)} />);
    expect(html).toContain('turn 1 was 2.50× faster than turn 2');
    expect(html).not.toContain('not like for like');
  });
});
