// The app service <-> engine process protocol is checked at the boundary on both sides: the engine process refuses a
// malformed or hostile request with an answer naming the op and the field (and keeps serving), and the host refuses
// a malformed answer from the engine the same way. Both sides run in-process here, over fake channels.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { EngineHost, EngineRequestError } from '../../../engine/service/engine-host/engine-host.ts';
import { EngineWorker } from '../../../engine/service/engine-host/engine-worker.ts';
import type { EngineHandlers } from '../../../engine/service/engine-host/engine-ops.ts';
import type { EngineChannel, EngineProcess, EngineToHostMsg, HostToEngineMsg } from '../../../engine/service/engine-host/protocol.ts';

/** Handlers that record what reached them (only well-formed, validated arguments may). */
function fakeHandlers(seen: unknown[]): EngineHandlers {
  const ok = async (args: unknown) => {
    seen.push(args);
    return { ok: true };
  };
  return {
    ping: async (args) => {
      seen.push(args);
      return { pid: 1 };
    },
    prepare: async (args) => {
      seen.push(args);
      return { frames: 1, visualTokens: 1, reused: false };
    },
    ask: async () => {
      throw new Error('not used');
    },
    stop: ok,
    cancelPrepare: ok,
    drop: ok,
    quantize: async () => {
      throw new Error('not used');
    },
    cancelQuantize: ok,
  };
}

async function startWorker() {
  const posted: EngineToHostMsg[] = [];
  let deliver: (msg: unknown) => void = () => {};
  const channel: EngineChannel = { post: (m) => posted.push(m), onRequest: (l) => (deliver = l) };
  const seen: unknown[] = [];
  await new EngineWorker(channel, fakeHandlers(seen)).start(async () => ({ backend: 'cpu', gpuName: null, gpuMemoryBytes: null, message: null }));
  const send = async (msg: unknown) => {
    const before = posted.length;
    deliver(msg);
    await new Promise((r) => setTimeout(r, 0));
    return posted.slice(before);
  };
  return { send, seen, posted };
}

describe('engine process: requests are validated when they arrive', () => {
  it('refuses bad arguments with an error naming the op and the field, and never runs the handler', async () => {
    const { send, seen } = await startWorker();
    expect(await send({ type: 'req', id: 1, op: 'stop', args: { sessionId: 42 } })).toEqual([
      { type: 'res', id: 1, ok: false, error: { message: expect.stringMatching(/^engine stop: sessionId: .*string/), code: 'invalid_request' } },
    ]);
    const [bad] = await send({
      type: 'req', id: 2, op: 'prepare', args: { sessionId: 'c1', modelPath: '/m', videoPath: '/v', settings: { ...DEFAULT_SETTINGS, frames: -3 } },
    });
    expect(bad).toMatchObject({ id: 2, ok: false, error: { message: expect.stringMatching(/^engine prepare: settings\.frames: /) } });
    expect(seen).toEqual([]);
    // The worker keeps serving: a good request after the bad ones runs.
    expect(await send({ type: 'req', id: 3, op: 'stop', args: { sessionId: 'c1' } })).toEqual([{ type: 'res', id: 3, ok: true, result: { ok: true } }]);
    expect(seen).toEqual([{ sessionId: 'c1' }]);
  });

  it('answers hostile envelopes without crashing: unknown or prototype ops, bad ids, non-objects', async () => {
    const { send, seen } = await startWorker();
    const [unknown] = await send({ type: 'req', id: 4, op: 'constructor', args: {} });
    expect(unknown).toMatchObject({ id: 4, ok: false, error: { message: 'unknown engine op "constructor"', code: 'unknown_op' } });
    const [noOp] = await send({ type: 'req', id: 5, args: {} });
    expect(noOp).toMatchObject({ id: 5, ok: false, error: { message: expect.stringMatching(/^malformed request: op: /) } });
    // Nothing to answer to: dropped (and said on stderr), no exception.
    expect(await send(null)).toEqual([]);
    expect(await send('req')).toEqual([]);
    expect(await send({ type: 'req', id: -1, op: 'ping', args: {} })).toEqual([]);
    expect(seen).toEqual([]);
    // Defaults of the op's schema are applied before the handler sees the arguments.
    expect(await send({ type: 'req', id: 6, op: 'ping', args: {} })).toEqual([{ type: 'res', id: 6, ok: true, result: { pid: 1 } }]);
    expect(seen).toEqual([{ delayMs: 0 }]);
  });
});

/** An engine process that answers each request with whatever `answer` returns. */
function fakeEngine(answer: (req: HostToEngineMsg) => unknown[]): () => EngineProcess {
  return () => {
    let onMessage: (m: unknown) => void = () => {};
    const onExit: ((code: number | null, reason: string) => void)[] = [];
    const proc: EngineProcess = {
      pid: 1234,
      send: (req) => setTimeout(() => answer(req).forEach((m) => onMessage(m)), 0),
      onMessage: (l) => {
        onMessage = l;
        setTimeout(() => l({ type: 'ready', backend: 'cpu', gpuName: null, gpuMemoryBytes: null, message: null }), 0);
      },
      onOutput: () => {},
      onExit: (l) => onExit.push(l),
      kill: () => onExit.forEach((l) => l(null, 'killed by SIGKILL')),
    };
    return proc;
  };
}

describe('engine host: answers are validated when they arrive', () => {
  it('refuses a result that does not match the op, naming the op and the field', async () => {
    const host = new EngineHost({ spawn: fakeEngine((req) => [{ type: 'res', id: req.id, ok: true, result: { frames: 'many', visualTokens: 1, reused: false } }]) });
    const err = await host.request('prepare', { sessionId: 'c1', modelPath: '/m', videoPath: '/v', settings: DEFAULT_SETTINGS }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(EngineRequestError);
    expect((err as Error).message).toMatch(/^engine prepare: the engine's result does not match the protocol \(frames: /);
    await host.close();
  });

  it('fails the request a malformed message names, drops bad events, and delivers good ones typed', async () => {
    const events: unknown[] = [];
    const host = new EngineHost({
      spawn: fakeEngine((req) =>
        req.op === 'stop'
          ? [{ type: 'res', id: req.id, ok: 'yes' }]
          : [
              { type: 'event', id: req.id, event: 'token', data: { text: 'no tokens in prepare' } },
              { type: 'event', id: req.id, event: 'progress', data: { stage: 'decode', done: 'half' } },
              { type: 'event', id: req.id, event: 'progress', data: { stage: 'decode', done: 1, total: 2, etaSec: null } },
              { type: 'res', id: req.id, ok: true, result: { frames: 2, visualTokens: 8, reused: false } },
            ],
      ),
    });
    const stop = await host.request('stop', { sessionId: 'c1' }).catch((e: Error) => e);
    expect((stop as Error).message).toMatch(/^engine stop: malformed message from the engine: /);
    const result = await host.request('prepare', { sessionId: 'c1', modelPath: '/m', videoPath: '/v', settings: DEFAULT_SETTINGS }, (e) => events.push(e));
    expect(result).toEqual({ frames: 2, visualTokens: 8, reused: false });
    expect(events).toEqual([{ event: 'progress', data: { stage: 'decode', done: 1, total: 2, etaSec: null } }]);
    await host.close();
  });

  it('checks the arguments before sending them', async () => {
    const sent: HostToEngineMsg[] = [];
    const host = new EngineHost({ spawn: fakeEngine((req) => (sent.push(req), [])) });
    await expect(host.request('ask', { sessionId: 'c1', turn: 0, question: 'q', history: [], settings: DEFAULT_SETTINGS })).rejects.toThrow(/^engine ask: turn: /);
    expect(sent).toEqual([]);
    await host.close();
  });
});
