// The filmstrip (and the inspector's frame tiles) label each sampled frame with its time, precisely enough that two
// different frames of a short clip never carry the same label.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { SampledFrame, VideoInfo } from '../../../electron/contract.ts';
import { Player } from '../../../renderer/src/components/Player.tsx';

const video: VideoInfo = {
  id: 'v-1', path: '/v/a.mp4', name: 'a.mp4', durationSec: 3, width: 320, height: 240, fps: 10, codec: 'h264', rotation: 0,
  hasAudio: false, sizeBytes: 1000, addedAt: 0, lastOpenedAt: 0, posterUrl: null, mediaUrl: '/media/video/v-1', lastConversationId: null,
};
const strip = (times: number[]) => {
  const frames: SampledFrame[] = times.map((timeSec, index) => ({ index, timeSec, thumbUrl: `/t/${index}.jpg` }));
  const html = renderToStaticMarkup(<Player video={video} frames={frames} framesLoading={false} height={200} />);
  return [...html.matchAll(/<img [^>]*><span>([^<]*)<\/span>/g)].map((m) => m[1]);
};

describe('filmstrip labels', () => {
  it('a 3 s clip sampled at 8 frames: 8 different labels', () => {
    const labels = strip([0, 0.4, 0.8, 1.2, 1.6, 2, 2.4, 2.9]);
    expect(labels).toEqual(['0:00.0', '0:00.4', '0:00.8', '0:01.2', '0:01.6', '0:02.0', '0:02.4', '0:02.9']);
  });

  it('a long video keeps whole seconds', () => {
    expect(strip([0, 60, 120.5, 3600])).toEqual(['0:00', '1:00', '2:00', '1:00:00']);
  });
});

describe('filmstrip head', () => {
  it('says when a short video makes the sampling repeat frames', async () => {
    const { sampledText } = await import('../../../renderer/src/components/Player.tsx');
    const f = (times: number[]) => times.map((timeSec, index) => ({ index, timeSec, thumbUrl: `/t/${index}.jpg` }));
    expect(sampledText(f([0, 1, 2, 3]))).toBe('4 sampled frames');
    expect(sampledText(f([0, 0, 0.1, 0.1, 0.2]))).toBe('5 sampled frames (3 distinct: the video has fewer frames, some are repeated)');
  });
});

describe('player errors', () => {
  it('a moved or deleted file is not blamed on the codec', async () => {
    const { playbackError } = await import('../../../renderer/src/components/Player.tsx');
    expect(playbackError(404, '/v/a.mp4')).toBe('The file is no longer at /v/a.mp4 (moved or deleted?). Open it again from where it is now.');
    expect(playbackError(206, '/v/a.mp4')).toMatch(/codec/);
    expect(playbackError(null, '/v/a.mp4')).toMatch(/codec/);
  });
});

describe('filmstrip when sampling failed', () => {
  it('says why instead of "not sampled yet"', () => {
    const html = renderToStaticMarkup(<Player video={video} frames={null} framesLoading={false} framesError="Video file not found: /v/a.mp4" height={200} />);
    expect(html).toContain('Frames could not be sampled: Video file not found: /v/a.mp4');
    expect(html).not.toContain('not sampled yet');
  });
});

describe('player poster (issue 16 item 10)', () => {
  it('the player does not show the library poster (a frame from 10% in) beside a clock reading 0:00', () => {
    const html = renderToStaticMarkup(<Player video={{ ...video, posterUrl: '/media/thumb/v-1/poster.jpg' }} frames={null} framesLoading={false} height={200} />);
    expect(html).toMatch(/<video /);
    expect(html).not.toContain('poster=');
  });
});
