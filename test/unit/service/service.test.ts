// AppService end to end over its call() boundary: settings and library persist across restarts, a generated clip opens
// with poster, filmstrip and Range-served media, conversations survive a restart (an answer cut off by a kill is
// marked, not lost silently), and asking with no usable model fails with a clear chat.done error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Conversation, VideoInfo } from '../../../electron/contract.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

const dataDir = tmpDir('sv-data-');
const clipDir = tmpDir('sv clip ü-');
let clip: string;

beforeAll(() => {
  clip = makeClip(clipDir, 'tést clip.mp4', 4);
});

async function readBody(r: Readable | null): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (r) for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('AppService', () => {
  let video: VideoInfo;
  let conv: Conversation;

  it('opens a video (probe, poster, media URL) and lists it as recent', async () => {
    const { service, close } = await makeService(dataDir);
    try {
      const r = await service.call('videos.open', { path: clip });
      expect(r.ok).toBe(true);
      video = (r as { res: VideoInfo }).res;
      expect(video).toMatchObject({ name: 'tést clip.mp4', width: 320, height: 240, hasAudio: false });
      expect(video.durationSec).toBeCloseTo(4, 1);
      expect(video.posterUrl).toBe(`/media/thumb/${video.id}/poster.jpg`);
      const poster = await service.media(video.posterUrl!, null);
      expect(poster.status).toBe(200);
      expect((await readBody(poster.body)).subarray(0, 2).toString('hex')).toBe('ffd8');
      // The player's Range requests.
      const part = await service.media(video.mediaUrl, 'bytes=100-199');
      expect(part.status).toBe(206);
      expect(part.headers['Content-Range']).toBe(`bytes 100-199/${statSync(clip).size}`);
      expect((await readBody(part.body)).equals(readFileSync(clip).subarray(100, 200))).toBe(true);
      expect((await service.media(video.mediaUrl, `bytes=${10 ** 9}-`)).status).toBe(416);
      expect((await service.media('/media/video/v-unknown', null)).status).toBe(404);

      const frames = await service.call('videos.frames', { videoId: video.id, frames: 8 });
      expect(frames.ok).toBe(true);
      const list = (frames as { res: { index: number; timeSec: number; thumbUrl: string }[] }).res;
      expect(list.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(list[0].timeSec).toBe(0);
      expect(list[7].timeSec).toBeCloseTo(3.9, 5);
      for (const f of list) expect((await service.media(f.thumbUrl, null)).status).toBe(200);

      const bad = await service.call('videos.open', { path: path.join(clipDir, 'nope.mp4') });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      const text = path.join(clipDir, 'notes.mp4');
      writeFileSync(text, 'this is not a video\n'.repeat(100));
      const notVideo = await service.call('videos.open', { path: text });
      expect(notVideo).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/not a video|text/i) } });

      await service.call('settings.set', { frames: 8, maxNewTokens: 12 });
      const c = await service.call('conversations.create', { videoId: video.id });
      expect(c.ok).toBe(true);
      conv = (c as { res: Conversation }).res;
      expect(conv.settings.frames).toBe(8);
    } finally {
      await close(true);
    }
  }, 60_000);

  it('without a usable model, chat.ask persists the question and ends the answer with a clear error', async () => {
    const { service, close } = await makeService(dataDir);
    try {
      const done: unknown[] = [];
      service.on((name, payload) => {
        if (name === 'chat.done') done.push(payload);
      });
      const r = await service.call('chat.ask', { conversationId: conv.id, question: 'What is shown?' });
      expect(r.ok).toBe(true);
      await service.idle();
      expect(done).toEqual([expect.objectContaining({ conversationId: conv.id, status: 'error', error: expect.stringMatching(/No model is available/) })]);
      const got = (await service.call('conversations.get', { id: conv.id })) as { ok: true; res: Conversation };
      expect(got.res.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(got.res.messages[1].status).toBe('error');
      expect(await service.call('chat.estimate', { conversationId: conv.id })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/No model/) } });
    } finally {
      await close(true);
    }
  }, 30_000);

  it('restores settings, library and conversations after a restart; an answer cut off by a kill is marked stopped', async () => {
    // What a kill mid-answer leaves on disk: the assistant message still 'streaming'.
    const file = path.join(dataDir, 'conversations', `${conv.id}.json`);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as Conversation;
    onDisk.messages.push({ id: 'm-u2', role: 'user', text: 'and then?', createdAt: 1 }, { id: 'm-a2', role: 'assistant', text: 'half an ans', createdAt: 2, status: 'streaming' });
    writeFileSync(file, JSON.stringify(onDisk));

    const { service, close } = await makeService(dataDir);
    try {
      expect(await service.call('settings.get', {})).toMatchObject({ ok: true, res: { frames: 8, maxNewTokens: 12 } });
      const recent = (await service.call('videos.recent', {})) as { ok: true; res: VideoInfo[] };
      expect(recent.res.map((v) => v.id)).toEqual([video.id]);
      expect(recent.res[0].lastConversationId).toBe(conv.id);
      const got = (await service.call('conversations.get', { id: conv.id })) as { ok: true; res: Conversation };
      expect(got.res.messages.at(-1)).toMatchObject({ id: 'm-a2', text: 'half an ans', status: 'stopped', error: expect.stringMatching(/interrupted/) });
      const list = await service.call('conversations.list', { videoId: video.id });
      expect(list).toMatchObject({ ok: true, res: [{ id: conv.id }] });
      expect(await service.call('conversations.delete', { id: conv.id })).toMatchObject({ ok: true, res: { ok: true } });
      expect(await service.call('conversations.get', { id: conv.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    } finally {
      await close();
    }
  }, 30_000);
});
