// The answer's speedup vs dense: below 1× the sparse turn was slower, and the UI says so instead of showing a win.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { TurnStats } from '../../../electron/contract.ts';
import { StatsLine } from '../../../renderer/src/components/StatsLine.tsx';
import { TurnSummary } from '../../../renderer/src/components/TurnSummary.tsx';

const t = { visionMs: 1, prefillMs: 2, retrievalMs: 0, decodeMs: 3, ttftMs: 3, totalMs: 6, tokensPerSec: 1 };
const stats: TurnStats = {
  turn: 1, policy: 'sparsevila', tokens: 2, visualTokensTotal: 64, visualTokensRetained: 16, visualTokensRetrieved: 4, kvBytes: 1,
  retrievedMassShare: null, timings: t, denseTimings: t, speedupVsDense: null,
};

describe('speedup vs dense below 1', () => {
  it('is called slower and not drawn as a win', () => {
    const slow = renderToStaticMarkup(<StatsLine stats={{ ...stats, speedupVsDense: 0.53 }} />);
    expect(slow).toContain('0.53× (slower)');
    expect(slow).not.toContain('stat strong');
    const fast = renderToStaticMarkup(<StatsLine stats={{ ...stats, speedupVsDense: 2.4 }} />);
    expect(fast).toContain('2.40×');
    expect(fast).toContain('stat strong');
    expect(fast).not.toContain('(slower)');
  });

  it('the inspector summary too', () => {
    const slow = renderToStaticMarkup(<TurnSummary s={{ ...stats, speedupVsDense: 0.53 }} scaleMs={1} />);
    expect(slow).toMatch(/class="count-v c-slow">0\.53×</);
    expect(slow).toContain('vs dense: slower');
    expect(renderToStaticMarkup(<TurnSummary s={{ ...stats, speedupVsDense: 1.8 }} scaleMs={1} />)).toMatch(/class="count-v c-speed">1\.80×</);
  });
});

describe('turn summary timings', () => {
  it('says when a turn paid for encoding the video, and prints an empty phase as 0 ms', () => {
    const first = renderToStaticMarkup(<TurnSummary s={{ ...stats, timings: { ...t, visionMs: 120 } }} scaleMs={1} />);
    expect(first).toContain('includes encoding the video');
    const later = renderToStaticMarkup(<TurnSummary s={{ ...stats, timings: { ...t, visionMs: 0 } }} scaleMs={1} />);
    expect(later).not.toContain('includes encoding the video');
    expect(later).toContain('vision 0 ms');
  });
});

describe('how much was read, per policy', () => {
  it('prefill-only reads every kept token (no "retrieved" count)', () => {
    const html = renderToStaticMarkup(<StatsLine stats={{ ...stats, policy: 'prefill-only', visualTokensRetrieved: 16 }} />);
    expect(html).toContain('<dt>read</dt><dd>all kept</dd>');
    expect(html).not.toContain('retrieved</dd>');
    expect(renderToStaticMarkup(<StatsLine stats={stats} />)).toContain('<dd>4 retrieved</dd>');
  });

  it('without a dense run the summary says how to get the speedup', () => {
    const html = renderToStaticMarkup(<TurnSummary s={{ ...stats, denseTimings: null }} scaleMs={1} />);
    expect(html).toContain('Also run dense each turn');
    expect(renderToStaticMarkup(<TurnSummary s={{ ...stats, policy: 'dense', denseTimings: null }} scaleMs={1} />)).not.toContain('Also run dense');
  });
});
