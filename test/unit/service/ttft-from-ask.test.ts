// TTFT as the user waited it, through the service and a real engine process: from chat.ask arriving to the first
// token, never less than the engine's own TTFT, no more than the test saw, and split into parts that add up to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Conversation, EventName, EventPayload, ModelInfo, TurnStats, VideoInfo } from '../../../electron/contract.ts';
import { engineWork, makeService } from './fixture.ts';

let svc: Awaited<ReturnType<typeof makeService>>;
let conv: Conversation;
const sumOfParts = (s: TurnStats) => Object.values(s.ttftParts!).filter((v) => typeof v === 'number').reduce((a, b) => a + b, 0);

const w = engineWork('sv-ttft-', 1, 3);

beforeAll(async () => {
  svc = await makeService(path.join(w.work, 'data'));
  const model = (await svc.service.call('models.addLocal', { path: w.modelDir })) as { ok: true; res: ModelInfo };
  const video = (await svc.service.call('videos.open', { path: w.clip })) as { ok: true; res: VideoInfo };
  await svc.service.call('settings.set', { modelId: model.res.id, frames: 2, maxNewTokens: 3, backend: 'cpu', policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 });
  conv = ((await svc.service.call('conversations.create', { videoId: video.res.id })) as { ok: true; res: Conversation }).res;
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

/** Asks and waits for chat.done; `sawFirstTokenMs` is how long the test itself waited for the first token. */
async function ask(question: string, c = conv, settings?: { frames: number }): Promise<{ stats: TurnStats; text: string; sawFirstTokenMs: number }> {
  let firstToken: number | null = null;
  const start = performance.now();
  const done = new Promise<EventPayload<'chat.done'>>((resolve) => {
    const off = svc.service.on((name: EventName, payload) => {
      if (name === 'chat.token') firstToken ??= performance.now();
      if (name === 'chat.done') { off(); resolve(payload as EventPayload<'chat.done'>); }
    });
  });
  expect(await svc.service.call('chat.ask', { conversationId: c.id, question, settings })).toMatchObject({ ok: true });
  const d = await done;
  expect(d.status, JSON.stringify(d)).toBe('done');
  const saved = ((await svc.service.call('conversations.get', { id: c.id })) as { ok: true; res: Conversation }).res;
  return { stats: d.stats!, text: saved.messages.at(-1)!.text, sawFirstTokenMs: firstToken! - start };
}

let firstAnswer = '';
describe('TTFT from the user\'s Enter', () => {
  it('turn 1: covers the frames and the engine\'s TTFT, and its parts add up to it', async () => {
    const { stats, text, sawFirstTokenMs } = await ask('What appears first?');
    firstAnswer = text;
    expect(stats.ttftParts!.visionReused).toBeUndefined();
    expect(stats.ttftParts!.visionMs).toBeGreaterThan(0);
    expect(stats.ttftFromAskMs).toBeDefined();
    expect(stats.ttftFromAskMs!).toBeGreaterThanOrEqual(stats.timings.ttftMs);
    expect(stats.ttftFromAskMs!).toBeLessThanOrEqual(sawFirstTokenMs + 1);
    const p = stats.ttftParts!;
    expect(p.framesMs).toBeGreaterThan(0); // decoded (or read from the frame cache) before the vision tower
    expect(p.visionMs).toBe(stats.timings.visionMs);
    expect(p.prefixPrefillMs).toBeGreaterThan(0);
    expect(p.otherMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(sumOfParts(stats) - stats.ttftFromAskMs!)).toBeLessThanOrEqual(1);
    expect(stats.ttftFromAskMs!).toBeGreaterThanOrEqual(stats.timings.ttftMs + p.framesMs);
  }, 60_000);

  it('turn 2 on the prepared session: no frames, vision or prefix prefill; the parts still add up', async () => {
    const { stats } = await ask('And what is red?');
    expect(stats.ttftParts).toMatchObject({ framesMs: 0, visionMs: 0, prefixPrefillMs: 0 });
    expect(stats.ttftFromAskMs!).toBeGreaterThanOrEqual(stats.timings.ttftMs);
    expect(Math.abs(sumOfParts(stats) - stats.ttftFromAskMs!)).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe('vision reused across conversations', () => {
  const newConversation = async () =>
    ((await svc.service.call('conversations.create', { videoId: conv.videoId })) as { ok: true; res: Conversation }).res;

  it('a second conversation on the same video and frames skips the vision tower and answers the same', async () => {
    const { stats, text } = await ask('What appears first?', await newConversation());
    expect(stats.ttftParts).toMatchObject({ visionReused: true, visionMs: 0 });
    expect(stats.timings.visionMs).toBe(0);
    expect(stats.ttftParts!.prefixPrefillMs).toBeGreaterThan(0); // its own prefix, from the kept encoding
    expect(text).toBe(firstAnswer);
    expect(Math.abs(sumOfParts(stats) - stats.ttftFromAskMs!)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('other frames (another sampling) run the vision tower again', async () => {
    const { stats } = await ask('What appears first?', await newConversation(), { frames: 3 });
    expect(stats.ttftParts!.visionReused).toBeUndefined();
    expect(stats.timings.visionMs).toBeGreaterThan(0);
  }, 60_000);
});
