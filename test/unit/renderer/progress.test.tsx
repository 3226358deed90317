import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Progress } from '../../../renderer/src/components/Progress.tsx';
import { prepView, trackProgress, type PrepTrack } from '../../../renderer/src/lib/prep-progress.ts';
import type { ChatProgress } from '../../../renderer/src/state/types.ts';

const ev = (stage: ChatProgress['stage'], done: number, total: number, etaSec: number | null = null): ChatProgress =>
  ({ conversationId: 'c', stage, done, total, etaSec });

/** Feeds events at the given times (ms) and returns the track after the last one. */
function feed(list: [number, ChatProgress][]): PrepTrack {
  let t: PrepTrack | null = null;
  for (const [at, e] of list) t = trackProgress(t, e, at);
  return t!;
}

describe('preparation progress', () => {
  it('names every stage, counts only where there is something to count', () => {
    const bar = (stage: ChatProgress['stage'], done: number, total: number) =>
      renderToStaticMarkup(<Progress view={prepView(feed([[0, ev(stage, done, total)]]), 0)} onCancel={() => {}} />);
    expect(bar('load', 0, 1)).toContain('Loading the model');
    expect(bar('load', 0, 1)).not.toContain('0/1');
    expect(bar('decode', 3, 32)).toContain('3/32');
    expect(bar('warmup', 0, 2)).toContain('Warming up both policies');
    expect(bar('dense', 0, 1)).toContain('Running dense');
  });

  it('a stage whose first event is already past 0 gives a possible time left, measured from its first event', () => {
    // The engine's own etaSec for this case was counted from 1970 (1796398515 s): the view does not use it.
    const t0 = 1_800_000_000_000;
    const first = feed([[t0, ev('vision', 256, 512, 1796398515)]]);
    expect(prepView(first, t0).etaSec).toBeNull();
    const later = feed([[t0, ev('vision', 256, 512, 1796398515)], [t0 + 2000, ev('vision', 384, 512, 1796398515)]]);
    // 128 frames in 2 s: 128 more take about 2 s.
    expect(prepView(later, t0 + 2000).etaSec).toBeCloseTo(2, 5);
    const html = renderToStaticMarkup(<Progress view={prepView(later, t0 + 2000)} onCancel={() => {}} />);
    expect(html).toContain('about 2 s left');
    expect(html).not.toContain('1796398515');
  });

  it('a finished stage shows the stage that runs next, without a stale count or time left', () => {
    const t = feed([[0, ev('vision', 0, 256)], [1000, ev('vision', 128, 256)], [2000, ev('vision', 256, 256, 1)]]);
    const v = prepView(t, 2500);
    expect(v.stage).toBe('prefill');
    expect(v.count).toBeNull();
    expect(v.etaSec).toBeNull();
    const html = renderToStaticMarkup(<Progress view={v} onCancel={() => {}} />);
    expect(html).toContain('Prefilling the language model');
    expect(html).toContain('step 3 of 3');
    expect(html).not.toContain('256/256');
    expect(html).not.toContain('s left');
    // Decoding done: encoding is next.
    expect(prepView(feed([[0, ev('decode', 32, 32, 0)]]), 0).stage).toBe('vision');
  });

  it('a new stage restarts the clock', () => {
    const t = feed([[0, ev('decode', 0, 8)], [8000, ev('decode', 8, 8)], [9000, ev('vision', 4, 8)], [10_000, ev('vision', 6, 8)]]);
    expect(prepView(t, 10_000).etaSec).toBeCloseTo(1, 5);
  });
});
