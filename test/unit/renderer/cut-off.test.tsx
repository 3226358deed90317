// A cut-off video is said plainly in the player (a note over the filmstrip, each missing frame marked), the library
// (a badge on the video) and the answer's stats line.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { SampledFrame, TurnStats, VideoInfo } from '../../../electron/contract.ts';
import { VideoItem } from '../../../renderer/src/components/Library.tsx';
import { ApiContext } from '../../../renderer/src/state/api.ts';
import { cutOffText } from '../../../renderer/src/components/CutOffNote.tsx';
import { Player } from '../../../renderer/src/components/Player.tsx';
import { StatsLine } from '../../../renderer/src/components/StatsLine.tsx';

const video: VideoInfo = {
  id: 'v-1', path: '/v/cut.mp4', name: 'cut.mp4', durationSec: 8, width: 320, height: 240, fps: 10, codec: 'h264', rotation: 0,
  hasAudio: false, sizeBytes: 1000, addedAt: 0, lastOpenedAt: 0, posterUrl: null, mediaUrl: '/media/video/v-1', lastConversationId: null,
};
const frames = (missingFrom: number): SampledFrame[] => Array.from({ length: 8 }, (_, i) => ({
  index: i, timeSec: i, thumbUrl: `/t/${i}.jpg`, ...(i >= missingFrom ? { missing: true } : {}),
}));
const t = { visionMs: 1, prefillMs: 2, retrievalMs: 0, decodeMs: 3, ttftMs: 3, totalMs: 6, tokensPerSec: 1 };
const stats: TurnStats = {
  turn: 1, policy: 'sparsevila', tokens: 2, visualTokensTotal: 64, visualTokensRetained: 16, visualTokensRetrieved: 4, kvBytes: 1,
  retrievedMassShare: null, timings: t, denseTimings: null, speedupVsDense: null,
};

describe('cut-off video in the UI', () => {
  it('the player says the file is cut off, where, and how many frames the model did not get; it marks them', () => {
    const html = renderToStaticMarkup(<Player video={video} frames={frames(5)} framesLoading={false} height={200} />);
    expect(html).toContain('Cut-off video');
    expect(html).toContain('cut off near 0:05: 3 of 8 sampled frames could not be decoded');
    expect(html.match(/class="frame-thumb[^"]*missing/g)?.length).toBe(3);
    expect(html.match(/>missing</g)?.length).toBe(3);
  });

  it('says nothing for a whole file', () => {
    expect(cutOffText(frames(8))).toBeNull();
    const html = renderToStaticMarkup(<Player video={video} frames={frames(8)} framesLoading={false} height={200} />);
    expect(html).not.toContain('Cut-off');
    expect(html).not.toContain('missing');
  });

  it('the library badges a video once sampling found missing frames', () => {
    const api = { call: async () => [], on: () => () => {} } as never;
    const item = (v: VideoInfo) => renderToStaticMarkup(
      <ApiContext.Provider value={api}><VideoItem v={v} active={false} onOpen={() => {}} onRemove={() => {}} /></ApiContext.Provider>,
    );
    expect(item({ ...video, missingFrames: 3 })).toContain('3 frames cut off');
    expect(item({ ...video, missingFrames: 3 })).toContain('3 sampled frames lie past');
    expect(item({ ...video, missingFrames: 0 })).not.toContain('cut off');
    expect(item(video)).not.toContain('cut off');
  });

  it('the answer stats show the missing frames', () => {
    expect(renderToStaticMarkup(<StatsLine stats={{ ...stats, missingFrames: 3 }} />)).toMatch(/cut off<\/dt><dd>3 frames missing/);
    expect(renderToStaticMarkup(<StatsLine stats={stats} />)).not.toContain('missing');
  });
});

describe('cut-off video in the inspector', () => {
  it('marks the frame tiles the file could not supply', async () => {
    const { TurnView } = await import('../../../renderer/src/components/TurnView.tsx');
    const data = {
      turn: 1, frames: 8, gridH: 1, gridW: 1, frameTimes: frames(5).map((f) => f.timeSec), saliency: null,
      retained: [0, 1, 2, 3, 4, 5, 6, 7], retrievedByLayer: [], stats: { ...stats, policy: 'dense' as const },
    };
    const html = renderToStaticMarkup(<TurnView data={data} question="q" frames={frames(5)} layer="any" mode="tokens" tileWidth={80} aspect={1} scaleMs={1} onSeek={() => {}} />);
    expect(html.match(/class="tile missing"/g)?.length).toBe(3);
  });
});
