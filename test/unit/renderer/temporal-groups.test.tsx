// The inspector's frame grid for models whose tokens each cover a temporal pair of frames (Qwen-VL): one tile per
// merged token grid, named and timed by the frames it stands for, drawn on the pair's first frame; other models keep
// one tile per frame.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorTurn, SampledFrame } from '../../../electron/contract.ts';
import { TurnView } from '../../../renderer/src/components/TurnView.tsx';
import { tokenGroups } from '../../../renderer/src/lib/temporal-groups.ts';

function turn(extra: Partial<InspectorTurn>): InspectorTurn {
  const t = { visionMs: 1, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs: 3, tokensPerSec: 1 };
  return {
    turn: 1, frames: 3, gridH: 2, gridW: 3, frameTimes: [0.25, 1.25, 2], saliency: null, retained: [0, 1, 2, 6, 7, 12], retrievedByLayer: [[0], [7]],
    stats: { turn: 1, policy: 'sparsevila', tokens: 1, visualTokensTotal: 18, visualTokensRetained: 6, visualTokensRetrieved: 1, kvBytes: 0, retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null },
    ...extra,
  };
}

describe('temporal groups in the inspector', () => {
  it('pairs the sampled frames two by two; a last group short of frames names only its own', () => {
    const g = tokenGroups(turn({ framesPerGroup: 2, sampledFrameTimes: [0, 0.5, 1, 1.5, 2] }));
    expect(g.map((x) => x.frames)).toEqual([[0, 1], [2, 3], [4]]);
    expect(g.map((x) => x.name)).toEqual(['Frames 1–2', 'Frames 3–4', 'Frame 5']);
    expect(g.map((x) => x.timeLabel)).toEqual(['0:00.0–0:00.5', '0:01.0–0:01.5', '0:02.0']);
    expect(g.map((x) => x.thumbTimeSec)).toEqual([0, 1, 2]);
    // Without grouping: one frame per grid, as for LLaVA-OneVision.
    expect(tokenGroups(turn({})).map((x) => x.name)).toEqual(['Frame 1', 'Frame 2', 'Frame 3']);
  });

  it('tiles are named by their frames and drawn on the first frame of each pair', () => {
    const frames: SampledFrame[] = [0, 0.5, 1, 1.5, 2].map((t, i) => ({ index: i, timeSec: t, thumbUrl: `/thumb/${i}.jpg` }));
    const data = turn({ framesPerGroup: 2, sampledFrameTimes: [0, 0.5, 1, 1.5, 2] });
    const html = renderToStaticMarkup(<TurnView data={data} question="q" frames={frames} layer="any" mode="tokens" tileWidth={100} aspect={1.5} scaleMs={1} onSeek={() => {}} />);
    expect(html).toContain('aria-label="Frames 1–2 at 0:00.0–0:00.5: 3 of 6 tokens kept');
    expect(html).toContain('aria-label="Frames 3–4 at 0:01.0–0:01.5: 2 of 6 tokens kept');
    expect(html).toContain('aria-label="Frame 5 at 0:02.0: 1 of 6 tokens kept');
    expect(html.match(/class="tile"/g)).toHaveLength(3);
  });
});
