// Speedup vs dense is only fair when neither timed run pays one-time costs the other does not. On the CPU backend
// those are ONNX graph builds (GraphCache.get's build callback): none may happen inside a timed ChatSession.create /
// ask, for the sparse session or the dense one, in `sparsevila chat --measure-dense` and in the app's engine.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { GraphCache } from '../../../engine/core/backend/cpu/ort-graphs.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { chatCommand } from '../../../engine/cli/chat.ts';
import { ChatSessions } from '../../../engine/service/engine-host/chat-sessions.ts';
import { ChatSession } from '../../../engine/core/session/chat-session.ts';
import { makeClip, tmpDir } from '../service/fixture.ts';

let work: string, modelDir: string, clip: string;
beforeAll(() => {
  work = tmpDir('sv-measure-dense-');
  process.env.SPARSEVILA_VIDEO_CACHE = path.join(work, 'video-cache');
  modelDir = path.join(work, 'model');
  makeCheckpoint(modelDir, { preset: 'tiny', seed: 3 });
  clip = makeClip(work, 'clip.mp4', 2);
});
afterAll(() => {
  delete process.env.SPARSEVILA_VIDEO_CACHE;
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

/** Counts graph builds while a ChatSession is being created or asked (the timed work); and outside of it. The warm-up
 *  runs through ChatSession too, on a one-frame video: its sessions are not timed runs. */
function countBuilds() {
  const counts = { timed: 0, untimed: 0, timedCalls: 0, warmUpCalls: 0 };
  let timing = 0;
  const warmUps = new WeakSet<ChatSession>();
  const get = GraphCache.prototype.get;
  vi.spyOn(GraphCache.prototype, 'get').mockImplementation(function (this: GraphCache, key, build, opset) {
    return get.call(this, key, () => {
      if (timing > 0) counts.timed++;
      else counts.untimed++;
      return build();
    }, opset);
  });
  const create = ChatSession.create;
  vi.spyOn(ChatSession, 'create').mockImplementation(async (...args) => {
    if (args[1].frames === 1) {
      counts.warmUpCalls++;
      const s = await create.apply(ChatSession, args);
      warmUps.add(s);
      return s;
    }
    timing++;
    counts.timedCalls++;
    try { return await create.apply(ChatSession, args); } finally { timing--; }
  });
  const timed = (s: ChatSession) => !warmUps.has(s);
  for (const name of ['ask', 'askTokens'] as const) {
    const ask = ChatSession.prototype[name] as (this: ChatSession, ...a: unknown[]) => ReturnType<ChatSession['ask']>;
    vi.spyOn(ChatSession.prototype, name).mockImplementation(async function (this: ChatSession, ...args: unknown[]) {
      if (!timed(this)) return ask.apply(this, args);
      timing++;
      counts.timedCalls++;
      try { return await ask.apply(this, args); } finally { timing--; }
    } as ChatSession['ask']);
  }
  return counts;
}

describe('speedup vs dense is measured warm on both sides', () => {
  it('sparsevila chat --measure-dense: no graph is built inside a timed run, and the output says how it measures', async () => {
    const counts = countBuilds();
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
    const rc = await chatCommand(['--model', modelDir, '--video', clip, '--frames', '2', '--backend', 'cpu', '--no-cache',
      '--max-new-tokens', '3', '--policy', 'sparsevila', '--prefill-sparsity', '0.5', '--decode-sparsity', '0.5',
      '--measure-dense', '--json'], { input: Readable.from(['what is it?\n']) });
    vi.restoreAllMocks();
    expect(rc).toBe(0);
    const line = JSON.parse(out.join('').trim().split('\n').pop()!);
    expect(line.dense_timings).not.toBeNull();
    expect(line.speedup_vs_dense).toBeGreaterThan(0);
    expect(line.dense_measurement).toMatch(/warmed up/);
    expect(err.join('')).toMatch(/warmed up/);
    expect(counts.timedCalls).toBe(4); // create + ask, sparse and dense
    expect(counts.warmUpCalls).toBe(2); // one warm-up session per policy
    expect(counts.untimed).toBeGreaterThan(0); // the warm-up built them
    expect(counts.timed).toBe(0);
  }, 60_000);

  it('the app engine (ChatSessions with measureDense): no graph is built inside a timed run', async () => {
    const counts = countBuilds();
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 3, prefillSparsity: 0.5, decodeSparsity: 0.5, measureDense: true };
    try {
      const stages: string[] = [];
      await sessions.prepare({ sessionId: 's', modelPath: modelDir, videoPath: clip, settings }, (p) => {
        if (stages.at(-1) !== p.stage) stages.push(p.stage);
        expect(p.done).toBeLessThanOrEqual(p.total);
      });
      // The user sees the warm-up and the dense comparison's own preparation, not a bar stuck at "prefill".
      expect(stages).toEqual(['load', 'decode', 'warmup', 'vision', 'prefill', 'dense']);
      const asked: string[] = [];
      const r = await sessions.ask({ sessionId: 's', turn: 1, question: 'what is it?', history: [], settings }, () => {}, (p) => asked.push(p.stage));
      expect(asked).toEqual(['dense']); // the answer is in; the dense run of the same turn is what the user waits for
      expect(r.stats.denseTimings).not.toBeNull();
      expect(r.stats.speedupVsDense).toBeGreaterThan(0);
    } finally {
      sessions.dispose();
    }
    expect(counts.timedCalls).toBe(4);
    expect(counts.warmUpCalls).toBe(2);
    expect(counts.untimed).toBeGreaterThan(0);
    expect(counts.timed).toBe(0);
  }, 60_000);

  it('the dense run does the same length of answer as the sparse one', async () => {
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 40, measureDense: true };
    const budgets: (number | undefined)[] = [];
    const ask = ChatSession.prototype.ask;
    vi.spyOn(ChatSession.prototype, 'ask').mockImplementation(async function (this: ChatSession, q, o) {
      budgets.push(o?.maxNewTokens);
      return ask.call(this, q, o);
    });
    try {
      await sessions.prepare({ sessionId: 's', modelPath: modelDir, videoPath: clip, settings }, () => {});
      const r = await sessions.ask({ sessionId: 's', turn: 1, question: 'what is it?', history: [], settings }, () => {});
      expect(budgets).toEqual([40, r.stats.tokens + 1]);
      expect(r.stats.denseTimings).not.toBeNull();
    } finally {
      sessions.dispose();
    }
  }, 60_000);

  it('stop pressed during the dense run: the answer stands, no (wrong) speedup is reported', async () => {
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 3, measureDense: true };
    try {
      await sessions.prepare({ sessionId: 's', modelPath: modelDir, videoPath: clip, settings }, () => {});
      const r = await sessions.ask({ sessionId: 's', turn: 1, question: 'what is it?', history: [], settings }, () => {}, (p) => {
        if (p.stage === 'dense') sessions.stop('s');
      });
      expect(r.stopped).toBe(false);
      expect(r.stats.denseTimings).toBeNull();
      expect(r.stats.speedupVsDense).toBeNull();
      // The next turn measures again.
      const r2 = await sessions.ask({ sessionId: 's', turn: 2, question: 'and then?', history: [], settings }, () => {});
      expect(r2.stats.speedupVsDense).toBeGreaterThan(0);
    } finally {
      sessions.dispose();
    }
  }, 60_000);
});
