// Qwen2.5-VL and Qwen3-VL through the service and a real engine process: the fixture models (HF-saved, made chattable)
// added as local folders, the settings' rate sampling and pixel budget, the estimate counting the frames and tokens the
// engine then holds, two turns (the second after the first's eviction) with stats, and the inspector's temporal pairs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Conversation, EventPayload, InspectorTurn, MemoryEstimate, ModelInfo, VideoInfo } from '../../../electron/contract.ts';
import { qwenVlChatFolder, type QwenVlFixtureFamily } from '../engine/qwen-vl-chat-folder.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

type Svc = Awaited<ReturnType<typeof makeService>>;
const work = tmpDir('sv-qwen-flow-');
let svc: Svc;
let video: VideoInfo;
const done: EventPayload<'chat.done'>[] = [];

async function call<T>(name: string, req: object): Promise<T> {
  const r = (await svc.service.call(name as never, req as never)) as { ok: boolean; res?: T; error?: { message: string } };
  if (!r.ok) throw new Error(`${name}: ${r.error?.message}`);
  return r.res as T;
}

async function answer(conversationId: string, question: string): Promise<EventPayload<'chat.done'>> {
  const before = done.length;
  await call('chat.ask', { conversationId, question });
  const deadline = Date.now() + 90_000;
  while (done.length === before) {
    if (Date.now() > deadline) throw new Error('no answer in 90 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  return done[before];
}

beforeAll(async () => {
  process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'video-cache');
  const clip = makeClip(work, 'clip.mp4', 4);
  svc = await makeService(path.join(work, 'data'));
  svc.service.on((name, payload) => {
    if (name === 'chat.done') done.push(payload as EventPayload<'chat.done'>);
  });
  video = await call<VideoInfo>('videos.open', { path: clip });
}, 60_000);
afterAll(async () => {
  delete process.env.SPARSEVILA_VIDEO_CACHE;
  await svc?.close();
});

describe.each(['qwen2_5_vl', 'qwen3_vl'] as QwenVlFixtureFamily[])('%s in the app service', (family) => {
  it('chats two turns with rate sampling; the estimate counts what the engine holds; the inspector pairs frames', async () => {
    const model = await call<ModelInfo>('models.addLocal', { path: qwenVlChatFolder(family, path.join(work, family)) });
    expect(model.video?.family).toBe(family === 'qwen3_vl' ? 'qwen3-vl' : 'qwen2.5-vl');
    await call('settings.set', { modelId: model.id, backend: 'cpu', maxNewTokens: 4, policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5, history: 'text', sampleFps: 2, maxFrames: 8 });
    // Before a conversation exists the settings estimate for the open video; then for the conversation: the same.
    const early = await call<MemoryEstimate>('chat.estimate', { videoId: video.id });
    const conv = await call<Conversation>('conversations.create', { videoId: video.id });
    const est = await call<MemoryEstimate>('chat.estimate', { conversationId: conv.id });
    expect(est.fits).toBe(true);
    expect(early.sampling).toEqual(est.sampling);
    const neither = await svc.service.call('chat.estimate', {});
    expect(neither).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/a conversationId or a videoId is needed/) } });
    expect(est.sampling).toMatchObject({ frames: 8, temporalPatches: 4 });

    const first = await answer(conv.id, 'What appears first?');
    expect(first, JSON.stringify(first)).toMatchObject({ status: 'done', stats: { turn: 1, policy: 'sparsevila' } });
    expect(first.stats!.visualTokensTotal).toBe(est.visualTokens!.total);
    expect(first.stats!.visualTokensRetained).toBe(est.visualTokens!.kept);
    const second = await answer(conv.id, 'And at the end?');
    expect(second).toMatchObject({ status: 'done', stats: { turn: 2 } });
    expect(second.stats!.visualTokensRetained).toBe(first.stats!.visualTokensRetained);

    const insp = await call<InspectorTurn>('inspector.get', { conversationId: conv.id, turn: 2 });
    expect(insp).toMatchObject({ frames: 4, framesPerGroup: 2, gridH: est.sampling!.height / 8, gridW: est.sampling!.width / 8 });
    expect(insp.sampledFrameTimes).toHaveLength(8);
    expect(insp.retained).toHaveLength(second.stats!.visualTokensRetained);

    // A second conversation on the same frames skips the tower (the engine kept its output).
    const conv2 = await call<Conversation>('conversations.create', { videoId: video.id });
    const other = await answer(conv2.id, 'What appears first?');
    expect(other, JSON.stringify(other)).toMatchObject({ status: 'done', stats: { turn: 1, ttftParts: { visionReused: true, visionMs: 0 } } });
    expect(other.stats!.visualTokensRetained).toBe(first.stats!.visualTokensRetained);

    // Speedup vs dense: both policies warmed up first (a Qwen-VL warm-up video), then a dense twin of the turn.
    const before = done.length;
    await call('chat.ask', { conversationId: conv.id, question: 'And in the middle?', settings: { measureDense: true, maxNewTokens: 3 } });
    while (done.length === before) await new Promise((r) => setTimeout(r, 25));
    const third = done[before];
    expect(third, JSON.stringify(third)).toMatchObject({ status: 'done', stats: { turn: 3 } });
    expect(third.stats!.denseTimings).not.toBeNull();
    expect(third.stats!.speedupVsDense).toBeCloseTo(third.stats!.denseTimings!.totalMs / third.stats!.timings.totalMs, 6);

    // The filmstrip samples as the model does: the same 8 frames.
    const frames = await call<{ timeSec: number }[]>('videos.frames', { videoId: video.id, frames: 32, settings: { modelId: model.id, sampleFps: 2, maxFrames: 8 } });
    expect(frames.map((f) => f.timeSec)).toEqual(insp.sampledFrameTimes);
  }, 180_000);
});
