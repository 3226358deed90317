// Issue 16 item 3: numbers that add up and say which is which.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorTurn, PolicyName, TurnStats } from '../../../electron/contract.ts';
import { CompareTimes } from '../../../renderer/src/components/Inspector.tsx';
import { StatsLine } from '../../../renderer/src/components/StatsLine.tsx';
import { TurnSummary } from '../../../renderer/src/components/TurnSummary.tsx';
import { TurnView } from '../../../renderer/src/components/TurnView.tsx';
import { formatBytes } from '../../../renderer/src/lib/format.ts';

const t = { visionMs: 1, prefillMs: 2, retrievalMs: 1, decodeMs: 6, ttftMs: 3, totalMs: 10, tokensPerSec: 1 };
const stats = (policy: PolicyName, extra: Partial<TurnStats> = {}): TurnStats => ({
  turn: 1, policy, tokens: 2, visualTokensTotal: 8, visualTokensRetained: 4, visualTokensRetrieved: 1.5, kvBytes: 1,
  retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null, ...extra,
});
/** 2 frames of 2x2 tokens; two layers read tokens {0, 5} and {5, 6}: 1.5 per layer on average, 3 at any layer. */
const turn = (policy: PolicyName, retrievedByLayer: number[][]): InspectorTurn => ({
  turn: 1, frames: 2, gridH: 2, gridW: 2, frameTimes: [0, 0.5], saliency: null, retained: [0, 1, 5, 6], retrievedByLayer,
  massShareByLayer: retrievedByLayer.map(() => 0.5), stats: stats(policy),
});
const view = (data: InspectorTurn) => renderToStaticMarkup(
  <TurnView data={data} question="q" frames={null} layer="any" mode="tokens" tileWidth={100} aspect={1} scaleMs={1} onSeek={() => {}} />,
);

describe('numbers that add up', () => {
  it('retrieved: the mean per layer and the count at any layer, which the frame badges add up to', () => {
    const html = view(turn('sparsevila', [[0, 5], [5, 6]]));
    expect(html).toContain('retrieved per layer (mean)');
    expect(html).toContain('3 at any layer');
    const badges = [...html.matchAll(/<b class="c-rtv">(\d+)<\/b>/g)].map((m) => Number(m[1]));
    expect(badges.reduce((a, b) => a + b, 0)).toBe(3);
    expect(html).toContain('read at any layer');
  });

  it('query-prune: no decode retrieval reads as "all kept", and "kept" names the query pruning', () => {
    const html = view(turn('query-prune', []));
    expect(html).toContain('No decode retrieval');
    expect(html).toContain('kept after query pruning');
    expect(html).not.toContain('kept after prefill');
    expect(html).not.toMatch(/retrieved per layer|% of kept ·|\d retrieved/);
    expect(html).toContain('read by decode');
    expect(renderToStaticMarkup(<StatsLine stats={stats('query-prune')} />)).toContain('<dt>read</dt><dd>all kept</dd>');
  });

  it('the dense comparison says which total is which bar', () => {
    const html = renderToStaticMarkup(<TurnSummary s={stats('sparsevila', { denseTimings: { ...t, totalMs: 5 } })} scaleMs={1} />);
    expect(html).toContain('total: this turn 10 ms (upper bar) vs dense 5 ms (lower bar)');
  });

  it('two turns nearly alike in time are not called faster; otherwise "N× faster", never "less time"', () => {
    const at = (n: number, totalMs: number): InspectorTurn => ({ ...turn('sparsevila', []), turn: n, stats: { ...stats('sparsevila'), timings: { ...t, totalMs } } });
    const close = renderToStaticMarkup(<CompareTimes a={at(1, 101)} b={at(2, 100)} />);
    expect(close).toContain('about the same time');
    expect(close).not.toMatch(/less time|1\.01×/);
    expect(renderToStaticMarkup(<CompareTimes a={at(1, 300)} b={at(2, 100)} />)).toContain('turn 2 was 3.00× faster than turn 1');
  });

  it('layers, token rows and columns count from 1 like frames; bytes in binary units named as such', () => {
    const html = renderToStaticMarkup(
      <TurnView data={turn('sparsevila', [[0], [5], [6], [1], [0], [5]])} question="q" frames={null} layer={5} mode="tokens" tileWidth={100} aspect={1} scaleMs={1} onSeek={() => {}} onLayer={() => {}} />,
    );
    expect(html).toContain('(at layer 6 of 6)');
    expect(html).toMatch(/class="layer-bar on" aria-pressed="true" title="layer 6 of 6:/);
    expect(html).toContain('<span>1</span>');
    expect(html).not.toContain('<span>0</span>');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.0 GiB');
  });
});
