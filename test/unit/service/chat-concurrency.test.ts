// Asking at once (issue 16 item 11): simultaneous chat.ask calls on one conversation start one answer (a double-click
// or two tabs used to start several; a 500-ask flood over 20 conversations was all accepted), and more conversations
// asking at once than the engine keeps prepared all get their answers (they used to fail with "not prepared in the
// engine" although nothing restarted).
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Conversation, EventPayload, ModelInfo, VideoInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { ChatSessions, MAX_PREPARED_SESSIONS } from '../../../engine/service/engine-host/chat-sessions.ts';
import { EngineRequestError, type EngineHost } from '../../../engine/service/engine-host/engine-host.ts';
import { AppService } from '../../../engine/service/service.ts';
import { TURNS_AT_ONCE } from '../../../engine/service/handlers/turn-slots.ts';
import { makeClip, makeService, tmpDir } from './fixture.ts';

const work = tmpDir('sv-concurrent-');
const clip = makeClip(work, 'clip.mp4', 2);
const modelDir = path.join(work, 'model');
makeCheckpoint(modelDir, { preset: 'tiny', seed: 2 });
let svc: { service: AppService; close(): Promise<void> } | null = null;
afterAll(async () => {
  await svc?.close();
});

async function makeServiceWith(dataDir: string, engine: unknown) {
  const service = await AppService.create({ dataDir, version: '0.0.0-test', serveMode: true, engine: engine as EngineHost, embeddedModelsDir: null });
  return { service, close: () => service.close() };
}

async function conversations(service: AppService, n: number): Promise<Conversation[]> {
  const video = (await service.call('videos.open', { path: clip })) as { ok: true; res: VideoInfo };
  const out: Conversation[] = [];
  for (let i = 0; i < n; i++) out.push(((await service.call('conversations.create', { videoId: video.res.id })) as { ok: true; res: Conversation }).res);
  return out;
}

describe('chat.ask at once', () => {
  it('one conversation starts one answer however many asks arrive together; a 500-ask flood over 20 starts 20', async () => {
    const { service, close } = await makeService(path.join(work, 'data-flood'));
    try {
      const [one] = await conversations(service, 1);
      const two = await Promise.all([1, 2].map(() => service.call('chat.ask', { conversationId: one.id, question: 'double click?' })));
      expect(two.filter((r) => r.ok)).toHaveLength(1);
      expect(two.find((r) => !r.ok)).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(/still being written/) } });
      await service.idle();

      const convs = await conversations(service, 20);
      const flood = await Promise.all(Array.from({ length: 500 }, (_, i) => service.call('chat.ask', { conversationId: convs[i % 20].id, question: `flood ${i}` })));
      expect(flood.filter((r) => r.ok)).toHaveLength(20);
      await service.idle();
      for (const c of convs) {
        const saved = ((await service.call('conversations.get', { id: c.id })) as { ok: true; res: Conversation }).res;
        expect(saved.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      }
    } finally {
      await close();
    }
  }, 60_000);

  it(`${MAX_PREPARED_SESSIONS + 2} conversations asking at once all get answers`, async () => {
    svc = await makeServiceWith(path.join(work, 'data-many'), new LruEngine());
    const { service } = svc;
    const done: EventPayload<'chat.done'>[] = [];
    service.on((name, payload) => {
      if (name === 'chat.done') done.push(payload as EventPayload<'chat.done'>);
    });
    const model = (await service.call('models.addLocal', { path: modelDir })) as { ok: true; res: ModelInfo };
    await service.call('settings.set', { modelId: model.res.id, frames: 2, maxNewTokens: 2, backend: 'cpu' });
    const convs = await conversations(service, MAX_PREPARED_SESSIONS + 2);
    const asks = await Promise.all(convs.map((c) => service.call('chat.ask', { conversationId: c.id, question: 'What is it?' })));
    expect(asks.every((r) => r.ok)).toBe(true);
    await service.idle();
    expect(done.map((d) => [d.status, d.error ?? ''])).toEqual(convs.map(() => ['done', '']));
  }, 60_000);

  it('a turn waiting for the others can be stopped before it starts', async () => {
    // Preparations slow enough that the others are still running when the stop arrives.
    const engine = new LruEngine(1500);
    const s = await makeServiceWith(path.join(work, 'data-wait'), engine);
    try {
      const done: EventPayload<'chat.done'>[] = [];
      s.service.on((name, payload) => {
        if (name === 'chat.done') done.push(payload as EventPayload<'chat.done'>);
      });
      const model = (await s.service.call('models.addLocal', { path: modelDir })) as { ok: true; res: ModelInfo };
      await s.service.call('settings.set', { modelId: model.res.id, frames: 2, maxNewTokens: 2, backend: 'cpu' });
      const convs = await conversations(s.service, TURNS_AT_ONCE + 1);
      await Promise.all(convs.map((c) => s.service.call('chat.ask', { conversationId: c.id, question: 'q' })));
      while (engine.started.size < TURNS_AT_ONCE) await new Promise((r) => setTimeout(r, 10));
      const last = convs.find((c) => !engine.started.has(c.id))!.id;
      expect(await s.service.call('chat.stop', { conversationId: last })).toEqual({ ok: true, res: { ok: true } });
      await s.service.idle();
      expect(done.find((d) => d.conversationId === last)).toMatchObject({ status: 'stopped', error: expect.stringMatching(/stopped before it started/) });
      expect(done.filter((d) => d.status === 'done')).toHaveLength(TURNS_AT_ONCE);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('the engine says "not prepared" with a code the service can act on', async () => {
    const sessions = new ChatSessions();
    const ask = sessions.ask({ sessionId: 'never-prepared', turn: 1, question: 'q', history: [], settings: DEFAULT_SETTINGS }, () => {});
    await expect(ask).rejects.toMatchObject({ code: 'NOT_PREPARED', message: expect.stringMatching(/not prepared in the engine/) });
  });
});

/** The engine's prepared-session rules (ChatSessions: at most MAX_PREPARED_SESSIONS, least recently prepared dropped
 *  first unless it is answering, ask on a dropped one fails with NOT_PREPARED), with a decode that takes a while, so
 *  preparations of several conversations overlap as they do with real videos. */
class LruEngine {
  /** Conversations whose preparation has begun. */
  readonly started = new Set<string>();
  constructor(private prepareMs = 30) {}

  private prepared = new Map<string, true>();
  private asking = new Set<string>();

  status() {
    return { state: 'ready', backend: 'cpu', gpuMemoryBytes: null, restarts: 0, pid: 1, message: null } as never;
  }
  onStatus() {
    return () => {};
  }
  async close() {}
  async request(op: string, args: { sessionId: string; turn?: number }): Promise<unknown> {
    const id = args.sessionId;
    if (op === 'prepare') {
      this.started.add(id);
      await new Promise((r) => setTimeout(r, this.prepareMs));
      this.prepared.delete(id);
      this.prepared.set(id, true);
      for (const other of [...this.prepared.keys()]) {
        if (this.prepared.size <= MAX_PREPARED_SESSIONS) break;
        if (other !== id && !this.asking.has(other)) this.prepared.delete(other);
      }
      return { frames: 2, visualTokens: 8, reused: false };
    }
    if (op === 'ask') {
      // The ask reaches the engine behind work already queued there (other conversations' preparations).
      await new Promise((r) => setTimeout(r, 20));
      if (!this.prepared.has(id)) throw new EngineRequestError('this conversation is not prepared in the engine (it may have restarted); ask again', 'NOT_PREPARED');
      this.asking.add(id);
      await new Promise((r) => setTimeout(r, 10));
      this.asking.delete(id);
      const timings = { visionMs: 0, prefillMs: 1, retrievalMs: 0, decodeMs: 1, ttftMs: 1, totalMs: 2, tokensPerSec: 1 };
      return {
        text: 'an answer', stopped: false, inspector: null,
        stats: { turn: args.turn, policy: 'sparsevila', tokens: 2, visualTokensTotal: 8, visualTokensRetained: 4, visualTokensRetrieved: 2,
          kvBytes: 1, retrievedMassShare: null, timings, denseTimings: null, speedupVsDense: null },
      };
    }
    return { ok: true };
  }
}

it('the service lets no more turns into the engine at once than it keeps prepared', () => {
  expect(TURNS_AT_ONCE).toBeLessThanOrEqual(MAX_PREPARED_SESSIONS);
});
