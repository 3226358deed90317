// The whole chat flow through the service and a real engine process, with a tiny random checkpoint (make-checkpoint)
// and a generated clip: progress while preparing, streamed tokens, chat.done with stats, the inspector per turn, a
// second turn on the same prepared video, stop mid-answer, and the engine killed mid-answer (clear error, restart,
// the next question works).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Conversation, EventName, EventPayload, ModelInfo, VideoInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

type Ev = { name: EventName; payload: EventPayload<EventName> };
let svc: Awaited<ReturnType<typeof makeService>>;
let conv: Conversation;
const events: Ev[] = [];
const of = <N extends EventName>(name: N) => events.filter((e) => e.name === name).map((e) => e.payload as EventPayload<N>);
let doneCount = 0;
const nextDone = () => {
  const want = ++doneCount;
  return new Promise<EventPayload<'chat.done'>>((resolve) => {
    const check = () => {
      const d = of('chat.done');
      if (d.length >= want) resolve(d[want - 1]);
      else setTimeout(check, 20);
    };
    check();
  });
};

beforeAll(async () => {
  const work = tmpDir('sv-flow-');
  process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'video-cache');
  const modelDir = path.join(work, 'tiny-model');
  // Seed 1: greedy answers to 'Keep talking.' run past 60 tokens (no early EOS), so there is an answer to stop.
  makeCheckpoint(modelDir, { preset: 'tiny', seed: 1 });
  const clip = makeClip(work, 'clip.mp4', 3);
  svc = await makeService(path.join(work, 'data'));
  svc.service.on((name, payload) => events.push({ name, payload }));
  const model = (await svc.service.call('models.addLocal', { path: modelDir })) as { ok: true; res: ModelInfo };
  expect(model.ok).toBe(true);
  const video = (await svc.service.call('videos.open', { path: clip })) as { ok: true; res: VideoInfo };
  await svc.service.call('settings.set', { modelId: model.res.id, frames: 2, maxNewTokens: 6, backend: 'cpu', policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 });
  conv = ((await svc.service.call('conversations.create', { videoId: video.res.id })) as { ok: true; res: Conversation }).res;
}, 60_000);
afterAll(async () => {
  delete process.env.SPARSEVILA_VIDEO_CACHE;
  await svc?.close();
});

describe('chat flow through the engine process', () => {
  it('validates the model folder and estimates memory', async () => {
    const bad = await svc.service.call('models.addLocal', { path: tmpDir('sv-empty-') });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/config\.json is missing/) } });
    const est = await svc.service.call('chat.estimate', { conversationId: conv.id });
    expect(est).toMatchObject({ ok: true, res: { fits: true } });
    expect((est as { ok: true; res: { message: string } }).res.message).not.toMatch(/already loaded/);
    const huge = await svc.service.call('chat.estimate', { conversationId: conv.id, settings: { frames: 1024, policy: 'dense', maxNewTokens: 8192 } });
    expect(huge.ok).toBe(true);
  });

  it('answers turn 1 with progress, streamed tokens, stats and an inspector turn', async () => {
    const r = await svc.service.call('chat.ask', { conversationId: conv.id, question: 'What appears first?' });
    expect(r.ok).toBe(true);
    const done = await nextDone();
    expect(done, JSON.stringify(done)).toMatchObject({ conversationId: conv.id, status: 'done' });
    expect(done.stats).toMatchObject({ turn: 1, policy: 'sparsevila' });
    expect(done.stats!.visualTokensRetained).toBe(Math.round(0.5 * done.stats!.visualTokensTotal));
    const stages = new Set(of('chat.progress').map((p) => p.stage));
    expect(stages).toEqual(new Set(['load', 'decode', 'vision', 'prefill']));
    const streamed = of('chat.token').map((t) => t.text).join('');
    const saved = ((await svc.service.call('conversations.get', { id: conv.id })) as { ok: true; res: Conversation }).res;
    expect(saved.messages[1]).toMatchObject({ role: 'assistant', status: 'done', text: streamed });
    const insp = await svc.service.call('inspector.get', { conversationId: conv.id, turn: 1 });
    expect(insp).toMatchObject({ ok: true, res: { turn: 1, frames: 2 } });
    const turn1 = (insp as { ok: true; res: { retained: number[]; retrievedByLayer: number[][]; saliency: number[] | null } }).res;
    expect(turn1.retained.length).toBe(done.stats!.visualTokensRetained);
    expect(turn1.retrievedByLayer.length).toBeGreaterThan(0);
    expect(turn1.saliency).not.toBeNull();
    // The engine now holds the weights: the next estimate does not ask free RAM for them again.
    const est = await svc.service.call('chat.estimate', { conversationId: conv.id });
    expect(est).toMatchObject({ ok: true, res: { fits: true, message: expect.stringMatching(/already loaded/) } });
  }, 60_000);

  it('answers turn 2 on the same prepared video (no new decode) with its own inspector turn', async () => {
    const decodesBefore = of('chat.progress').filter((p) => p.stage === 'decode').length;
    await svc.service.call('chat.ask', { conversationId: conv.id, question: 'And what is red?' });
    const done = await nextDone();
    expect(done.status).toBe('done');
    expect(done.stats!.turn).toBe(2);
    expect(of('chat.progress').filter((p) => p.stage === 'decode').length).toBe(decodesBefore);
    expect(await svc.service.call('inspector.get', { conversationId: conv.id, turn: 2 })).toMatchObject({ ok: true, res: { turn: 2 } });
  }, 60_000);

  it('measures the speedup against a dense run of the same turn when asked to', async () => {
    const c5 = ((await svc.service.call('conversations.create', { videoId: conv.videoId })) as { ok: true; res: Conversation }).res;
    await svc.service.call('chat.ask', { conversationId: c5.id, question: 'What is red?', settings: { measureDense: true, maxNewTokens: 3 } });
    const done = await nextDone();
    expect(done.status).toBe('done');
    expect(done.stats!.denseTimings).not.toBeNull();
    expect(done.stats!.speedupVsDense).toBeCloseTo(done.stats!.denseTimings!.totalMs / done.stats!.timings.totalMs, 6);
  }, 60_000);

  let c2: Conversation;
  it('stops an answer on request', async () => {
    await svc.service.call('settings.set', { maxNewTokens: 4000 });
    c2 = ((await svc.service.call('conversations.create', { videoId: conv.videoId })) as { ok: true; res: Conversation }).res;
    const tokensBefore = of('chat.token').length;
    await svc.service.call('chat.ask', { conversationId: c2.id, question: 'Keep talking.' });
    while (of('chat.token').length < tokensBefore + 3) await new Promise((r) => setTimeout(r, 10));
    expect(await svc.service.call('chat.stop', { conversationId: c2.id })).toMatchObject({ ok: true, res: { ok: true } });
    const done = await nextDone();
    expect(done).toMatchObject({ conversationId: c2.id, status: 'stopped' });
    expect(done.stats!.tokens).toBeLessThan(4000);
  }, 60_000);

  it('stops while the video is still being prepared', async () => {
    const c4 = ((await svc.service.call('conversations.create', { videoId: conv.videoId })) as { ok: true; res: Conversation }).res;
    const progressBefore = of('chat.progress').length;
    await svc.service.call('chat.ask', { conversationId: c4.id, question: 'Anything?', settings: { frames: 3 } });
    while (of('chat.progress').length === progressBefore) await new Promise((r) => setTimeout(r, 2));
    expect(await svc.service.call('chat.cancelPrepare', { conversationId: c4.id })).toMatchObject({ ok: true, res: { ok: true } });
    const done = await nextDone();
    expect(done).toMatchObject({ conversationId: c4.id, status: 'stopped', error: expect.stringMatching(/cancelled/) });
  }, 60_000);

  it('survives the engine being killed mid-answer: clear error, restart, next question works', async () => {
    const c3 = c2; // already prepared in the engine: the kill lands while tokens stream
    const tokensBefore = of('chat.token').length;
    await svc.service.call('chat.ask', { conversationId: c3.id, question: 'Keep talking.' });
    while (of('chat.token').length < tokensBefore + 2) await new Promise((r) => setTimeout(r, 10));
    process.kill(svc.service.engine.pid()!, 'SIGKILL');
    const failed = await nextDone();
    expect(failed).toMatchObject({ conversationId: c3.id, status: 'error', error: expect.stringMatching(/engine process stopped unexpectedly.*restarted/) });
    const states = of('engine.status').map((s) => s.state);
    expect(states).toEqual(expect.arrayContaining(['crashed', 'restarting']));
    await svc.service.call('settings.set', { maxNewTokens: 5 });
    const again = await svc.service.call('chat.ask', { conversationId: c3.id, question: 'Try again.', settings: { maxNewTokens: 5 } });
    expect(again.ok).toBe(true);
    const ok = await nextDone();
    expect(ok).toMatchObject({ conversationId: c3.id, status: 'done' });
    expect(svc.service.engine.status()).toMatchObject({ restarts: 1 });
  }, 90_000);
});
