// Issue 16 item 7: frames by count or by rate with a maximum, what they imply, and out-of-range input refused with the
// reason instead of silently clamped.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { FrameSampling } from '../../../renderer/src/components/FrameSampling.tsx';
import { checkFrameCount, checkRate, framesFor, impliedTokens } from '../../../renderer/src/lib/frame-sampling.ts';

describe('frame sampling input', () => {
  it('2000 frames is refused with why, not clamped', () => {
    expect(checkFrameCount('2000')).toEqual({ ok: false, error: 'Frames: 2000 is more than the 1024 frames the engine samples from one video.' });
    expect(checkFrameCount('0')).toMatchObject({ ok: false, error: expect.stringMatching(/at least 1/) });
    expect(checkFrameCount('12.5')).toMatchObject({ ok: false, error: expect.stringMatching(/not a whole number/) });
    expect(checkFrameCount('')).toMatchObject({ ok: false });
    expect(checkFrameCount(' 64 ')).toEqual({ ok: true, value: 64 });
    expect(checkRate('100')).toMatchObject({ ok: false, error: expect.stringMatching(/above 30/) });
    expect(checkRate('0.5')).toEqual({ ok: true, value: 0.5 });
  });

  it('a rate turns into frames by the video length, up to the maximum', () => {
    expect(framesFor({ mode: 'rate', fps: 2, max: 256 }, 12, 32)).toBe(24);
    expect(framesFor({ mode: 'rate', fps: 1, max: 256 }, 3600, 32)).toBe(256);
    expect(framesFor({ mode: 'rate', fps: 0.01, max: 256 }, 10, 32)).toBe(1);
    expect(framesFor({ mode: 'rate', fps: 1, max: 256 }, null, 32)).toBeNull();
    expect(framesFor({ mode: 'count' }, 3600, 32)).toBe(32);
  });

  it('says what the frames imply: visual tokens, kept tokens and memory', () => {
    expect(impliedTokens(64, 196, 0.25)).toBe('64 frames · 12544 visual tokens, about 3136 kept');
    expect(impliedTokens(1, 196, 1)).toBe('1 frame · 196 visual tokens');
    const estimate = { weightsBytes: 2 ** 30, kvBytes: 2 ** 29, activationBytes: 0, availableBytes: 8 * 2 ** 30, fits: true, message: '' };
    const html = renderToStaticMarkup(
      <FrameSampling settings={{ ...DEFAULT_SETTINGS, frames: 24 }} sampling={{ mode: 'rate', fps: 2, max: 256 }} durationSec={12} tokensPerFrame={196}
        estimate={estimate} onSampling={() => {}} onChange={() => {}} />,
    );
    expect(html).toContain('2 fps over 12.0 s = 24 frames.');
    expect(html).toContain('24 frames · 4704 visual tokens, about 1176 kept · memory 1.5 GiB of 8.0 GiB');
    const capped = renderToStaticMarkup(
      <FrameSampling settings={{ ...DEFAULT_SETTINGS, frames: 256 }} sampling={{ mode: 'rate', fps: 1, max: 256 }} durationSec={3600} tokensPerFrame={196}
        estimate={null} onSampling={() => {}} onChange={() => {}} />,
    );
    expect(capped).toContain('= 3600 frames, capped at the maximum 256');
  });
});
