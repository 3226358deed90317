// A question's share of the turn's room is known before sending: measured with the model's tokenizer, a question that
// cannot fit is refused up front in plain words (nothing stored, no turn used), the text history gives way from the
// oldest turn, and a failed turn leaves its number free.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { ChatMessage, Conversation, ModelInfo, VideoInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { nextTurnNumber } from '../../../engine/service/handlers/chat-handlers.ts';
import { TurnBudget } from '../../../engine/service/turn-budget.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

let modelDir: string;
let svc: Awaited<ReturnType<typeof makeService>>;
let conv: Conversation;

beforeAll(async () => {
  const work = tmpDir('sv-budget-');
  modelDir = path.join(work, 'tiny-model');
  makeCheckpoint(modelDir, { preset: 'tiny', seed: 1 });
  svc = await makeService(path.join(work, 'data'));
  const model = (await svc.service.call('models.addLocal', { path: modelDir })) as { ok: true; res: ModelInfo };
  const video = (await svc.service.call('videos.open', { path: makeClip(work, 'clip.mp4', 1) })) as { ok: true; res: VideoInfo };
  await svc.service.call('settings.set', { modelId: model.res.id, maxNewTokens: 64 });
  conv = ((await svc.service.call('conversations.create', { videoId: video.res.id })) as { ok: true; res: Conversation }).res;
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

describe('turn budget', () => {
  it('measures with the model tokenizer and keeps the newest history turns that fit', () => {
    const budget = new TurnBudget(2000);
    const short = budget.plan(modelDir, { maxNewTokens: 50, history: 'text' }, 'What is red?', []);
    expect(short.questionTokens).toBeGreaterThan(0);
    expect(short.maxQuestionTokens).toBe(2000 - 50 - 16);
    const turn = (i: number) => ({ question: `question ${i} ${'word '.repeat(60)}`, answer: `answer ${i} ${'word '.repeat(60)}` });
    const history = Array.from({ length: 6 }, (_, i) => turn(i));
    const p = budget.plan(modelDir, { maxNewTokens: 50, history: 'text' }, 'And then?', history);
    expect(p.history.length).toBeGreaterThan(0);
    expect(p.history.length).toBeLessThan(6);
    expect(p.historyDropped).toBe(6 - p.history.length);
    // The oldest give way: what is kept is the tail.
    expect(p.history).toEqual(history.slice(6 - p.history.length));
    expect(budget.plan(modelDir, { maxNewTokens: 50, history: 'none' }, 'And then?', history)).toMatchObject({ history: [], historyDropped: 0 });
  });

  it('chat.measure reports the count and the limit; a too-long question is refused before anything is stored', async () => {
    const m = await svc.service.call('chat.measure', { conversationId: conv.id, question: 'What is red?' });
    expect(await svc.service.call('chat.measure', { question: 'What is red?' })).toMatchObject({ ok: true, res: { historyTurns: 0 } });
    expect(m).toMatchObject({ ok: true, res: { historyTurns: 0, historyDropped: 0 } });
    const { questionTokens, maxQuestionTokens } = (m as { ok: true; res: { questionTokens: number; maxQuestionTokens: number } }).res;
    expect(questionTokens).toBeGreaterThan(0);
    expect(maxQuestionTokens).toBeGreaterThan(1000);
    const long = 'describe the red square again '.repeat(400);
    const r = await svc.service.call('chat.ask', { conversationId: conv.id, question: long });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/^This question is too long: it is \d+ tokens and at most \d+ fit/) } });
    expect((r as { ok: false; error: { message: string } }).error.message).not.toMatch(/capacity|slots/);
    const saved = ((await svc.service.call('conversations.get', { id: conv.id })) as { ok: true; res: Conversation }).res;
    expect(saved.messages).toEqual([]);
  });

  it('a failed turn does not use a turn number', () => {
    const msg = (role: ChatMessage['role'], extra: Partial<ChatMessage> = {}): ChatMessage => ({ id: `m${Math.random()}`, role, text: 'x', createdAt: 0, ...extra });
    const stats = { turn: 1 } as ChatMessage['stats'];
    expect(nextTurnNumber([])).toBe(1);
    expect(nextTurnNumber([msg('user'), msg('assistant', { status: 'error', error: 'engine died' })])).toBe(1);
    expect(nextTurnNumber([msg('user'), msg('assistant', { status: 'done', stats }), msg('user'), msg('assistant', { status: 'error' })])).toBe(2);
    expect(nextTurnNumber([msg('user'), msg('assistant', { status: 'stopped', stats })])).toBe(2);
  });
});
