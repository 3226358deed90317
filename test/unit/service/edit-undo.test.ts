// Editing or regenerating a question keeps what it replaced until the next edit, so it can be undone: the messages
// come back, and so does the inspector data of their turns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Conversation, InspectorTurn, VideoInfo } from '../../../electron/contract.ts';
import { InspectorStore } from '../../../engine/service/store/inspector-store.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

let svc: Awaited<ReturnType<typeof makeService>>;
let conv: Conversation;
const ok = <T,>(r: unknown) => (r as { ok: true; res: T }).res;

/** Waits until no answer is running (without a model every turn fails at once, with no engine involved). */
async function settle(id: string): Promise<Conversation> {
  for (let i = 0; i < 200; i++) {
    const c = ok<Conversation>(await svc.service.call('conversations.get', { id }));
    if (!c.messages.some((m) => m.status === 'streaming')) return c;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('answer still running');
}

/** chat.ask once the previous answer's bookkeeping has ended. */
async function ask(req: { question: string; replaceFromMessageId?: string }): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = (await svc.service.call('chat.ask', { conversationId: conv.id, ...req })) as { ok: boolean; error?: { message: string } };
    if (r.ok) return;
    if (!/still being written/.test(r.error?.message ?? '')) throw new Error(r.error?.message);
    await new Promise((res) => setTimeout(res, 10));
  }
}

beforeAll(async () => {
  const work = tmpDir('sv-undo-');
  svc = await makeService(path.join(work, 'data'));
  const video = ok<VideoInfo>(await svc.service.call('videos.open', { path: makeClip(work, 'clip.mp4', 1) }));
  conv = ok<Conversation>(await svc.service.call('conversations.create', { videoId: video.id }));
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

describe('edit and undo', () => {
  it('an edit keeps the replaced messages; undo brings them back and drops the new turn', async () => {
    await ask({ question: 'first?' });
    await settle(conv.id);
    await ask({ question: 'second?' });
    const before = await settle(conv.id);
    expect(before.messages.map((m) => m.text).filter((_, i) => i % 2 === 0)).toEqual(['first?', 'second?']);
    expect(await svc.service.call('chat.undoReplace', { conversationId: conv.id })).toMatchObject({ ok: false, error: { message: /nothing|no edit/ } });

    await ask({ question: 'first, edited?', replaceFromMessageId: before.messages[0].id });
    const edited = await settle(conv.id);
    expect(edited.messages.map((m) => m.role === 'user' ? m.text : '-')).toEqual(['first, edited?', '-']);
    expect(edited.replaced?.at).toBe(0);
    expect(edited.replaced?.messages.map((m) => m.id)).toEqual(before.messages.map((m) => m.id));
    const listed = ok<object[]>(await svc.service.call('conversations.list', { videoId: conv.videoId }));
    expect(listed[0]).not.toHaveProperty('replaced');

    let undo = await svc.service.call('chat.undoReplace', { conversationId: conv.id });
    for (let i = 0; i < 200 && !undo.ok; i++) {
      await new Promise((res) => setTimeout(res, 10));
      undo = await svc.service.call('chat.undoReplace', { conversationId: conv.id });
    }
    const undone = ok<Conversation>(undo);
    expect(undone.messages.map((m) => m.id)).toEqual(before.messages.map((m) => m.id));
    expect(undone.replaced).toBeUndefined();
    expect(ok<Conversation>(await svc.service.call('conversations.get', { id: conv.id })).messages.length).toBe(4);
  });

  it('a new question (not an edit) ends the chance to undo', async () => {
    const c = await settle(conv.id);
    await ask({ question: 'again?', replaceFromMessageId: c.messages[2].id });
    expect((await settle(conv.id)).replaced).toBeDefined();
    await ask({ question: 'third?' });
    expect((await settle(conv.id)).replaced).toBeUndefined();
  });
});

describe('inspector turns set aside by an edit', () => {
  it('come back on undo; the replacement turns are dropped', async () => {
    const store = new InspectorStore(tmpDir('sv-insp-'));
    const timings = { visionMs: 0, prefillMs: 0, retrievalMs: 0, decodeMs: 0, ttftMs: 0, totalMs: 0, tokensPerSec: 0 };
    const turn = (t: number, frames: number): InspectorTurn => ({
      turn: t, frames, gridH: 1, gridW: 1, frameTimes: [], saliency: null, retained: [], retrievedByLayer: [],
      stats: { turn: t, policy: 'dense', tokens: 0, visualTokensTotal: 0, visualTokensRetained: 0, visualTokensRetrieved: 0, kvBytes: 0, retrievedMassShare: null, timings, denseTimings: null, speedupVsDense: null },
    });
    for (const t of [1, 2, 3]) await store.put('c', turn(t, 10));
    await store.setAside('c', 2);
    expect(await store.get('c', 2)).toBeNull();
    expect(await store.get('c', 1)).toMatchObject({ frames: 10 });
    await store.put('c', turn(2, 99));
    await store.restoreAside('c', 2);
    expect(await store.get('c', 2)).toMatchObject({ frames: 10 });
    expect(await store.get('c', 3)).toMatchObject({ frames: 10 });
  });
});
