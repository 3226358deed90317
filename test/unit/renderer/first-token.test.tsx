// The answer's wait for its first token reads from the user's Enter, with where the time went beside it; answers
// stored before that was measured say the number is the engine's own.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { TurnStats } from '../../../electron/contract.ts';
import { StatsLine } from '../../../renderer/src/components/StatsLine.tsx';
import { TurnSummary } from '../../../renderer/src/components/TurnSummary.tsx';

const t = { visionMs: 300, prefillMs: 80, retrievalMs: 5, decodeMs: 600, ttftMs: 382, totalMs: 985, tokensPerSec: 10, prefixPrefillMs: 60 };
const engineOnly: TurnStats = {
  turn: 1, policy: 'sparsevila', tokens: 7, visualTokensTotal: 64, visualTokensRetained: 16, visualTokensRetrieved: 4, kvBytes: 1,
  retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null,
};
const fromEnter: TurnStats = {
  ...engineOnly,
  ttftFromAskMs: 2950,
  ttftParts: { framesMs: 1200, visionMs: 300, prefixPrefillMs: 60, questionPrefillMs: 20, retrievalMs: 2, otherMs: 1368 },
};

describe('first token wait in the answer stats', () => {
  it('headlines the wait from Enter, not the engine\'s TTFT, with every part in the tooltip', () => {
    const html = renderToStaticMarkup(<StatsLine stats={fromEnter} />);
    expect(html).toContain('<dt>first token</dt><dd>after 2.95 s</dd>');
    expect(html).not.toContain('382 ms');
    expect(html).toContain('frames 1.20 s · vision 300 ms · video prefill 60 ms · question prefill 20 ms · retrieval 2 ms · other 1.37 s');
    expect(html).not.toContain('TTFT');
  });

  it('the inspector summary shows the same wait with its parts beside it', () => {
    const html = renderToStaticMarkup(<TurnSummary s={fromEnter} scaleMs={1000} />);
    expect(html).toContain('first token after 2.95 s');
    expect(html).toContain('(frames 1.20 s · vision 300 ms · video prefill 60 ms · question prefill 20 ms · retrieval 2 ms · other 1.37 s)');
  });

  it('an answer without the measurement from Enter says its number is the engine\'s', () => {
    const html = renderToStaticMarkup(<StatsLine stats={engineOnly} />);
    expect(html).toContain('<dd>after 382 ms (engine)</dd>');
    expect(html).toContain('the wait from Enter was not measured');
    expect(renderToStaticMarkup(<TurnSummary s={engineOnly} scaleMs={1000} />)).not.toContain('(frames ');
  });
});

describe('first token wait with the vision encoding reused', () => {
  it('says the vision was reused instead of a bare 0 ms', () => {
    const reused: TurnStats = { ...fromEnter, ttftParts: { ...fromEnter.ttftParts!, visionMs: 0, visionReused: true } };
    const html = renderToStaticMarkup(<StatsLine stats={reused} />);
    expect(html).toContain('frames 1.20 s · vision reused · video prefill 60 ms');
    expect(html).toContain('kept from an earlier conversation or re-ask');
  });
});
