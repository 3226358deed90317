// The inspector's colour key for a turn says what its policy really did: under dense every retained token is read at
// decode (no "not read" swatch), under sparsevila the kept-but-not-retrieved ones are "not read this turn".
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorTurn, PolicyName } from '../../../electron/contract.ts';
import { TurnView } from '../../../renderer/src/components/TurnView.tsx';

function turn(policy: PolicyName, retrieval: boolean): InspectorTurn {
  const t = { visionMs: 1, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs: 3, tokensPerSec: 1 };
  const retained = policy === 'dense' ? [0, 1, 2, 3, 4, 5, 6, 7] : [1, 2, 5, 6];
  return {
    turn: 1, frames: 2, gridH: 2, gridW: 2, frameTimes: [0, 0.5], saliency: null, retained,
    retrievedByLayer: retrieval ? [[2], [5]] : [],
    stats: { turn: 1, policy, tokens: 1, visualTokensTotal: 8, visualTokensRetained: retained.length, visualTokensRetrieved: retrieval ? 1 : retained.length, kvBytes: 0, retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null },
  };
}
const legend = (data: InspectorTurn) => {
  const html = renderToStaticMarkup(<TurnView data={data} question="q" frames={null} layer="any" mode="tokens" tileWidth={100} aspect={1} scaleMs={1} onSeek={() => {}} />);
  return html.match(/<div class="legend"[^]*?<\/div>/)?.[0] ?? '';
};

describe('inspector legend per policy', () => {
  it('dense: "read at every layer", never "not read"', () => {
    const l = legend(turn('dense', false));
    expect(l).toContain('read at every layer');
    expect(l).not.toContain('not read');
    expect(l).not.toContain('data-cls="0"'); // nothing is pruned under dense
  });
  it('prefill-only: pruned at prefill + kept and read at every layer', () => {
    const l = legend(turn('prefill-only', false));
    expect(l).toContain('pruned at prefill');
    expect(l).toContain('kept, read at every layer');
    expect(l).not.toContain('not read');
  });
  it('sparsevila: pruned / kept, not read this turn / retrieved this turn', () => {
    const l = legend(turn('sparsevila', true));
    expect(l).toContain('kept, not read this turn');
    expect(l).toContain('retrieved this turn');
  });
  it('query-prune turn 1: the tokens it drops are deleted for good', () => {
    expect(legend(turn('query-prune', true))).toContain('deleted for good by this question');
  });
});

describe('per-layer strip', () => {
  it('one bar per layer with what it read and the attention mass it captured; none without retrieval', () => {
    const data = { ...turn('sparsevila', true), massShareByLayer: [0.41, 0.8] };
    const html = renderToStaticMarkup(<TurnView data={data} question="q" frames={null} layer={1} mode="tokens" tileWidth={100} aspect={1} scaleMs={1} onSeek={() => {}} onLayer={() => {}} />);
    expect(html.match(/class="layer-bar( on)?"/g)?.length).toBe(2);
    expect(html).toContain('layer 1 of 2: 1 token read, 41% of the question');
    expect(html).toMatch(/class="layer-bar on" aria-pressed="true" title="layer 2 of 2:/);
    const dense = renderToStaticMarkup(<TurnView data={{ ...turn('dense', false), massShareByLayer: null }} question="q" frames={null} layer="any" mode="tokens" tileWidth={100} aspect={1} scaleMs={1} onSeek={() => {}} onLayer={() => {}} />);
    expect(dense).not.toContain('layer-bar');
  });
});
