// The engine process can die at any moment (native crash, OOM kill): the host must fail the request in flight with a
// clear message, report crashed -> restarting -> ready, and serve the next request on a fresh process.
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../electron/contract.ts';
import { EngineCrashedError, EngineHost, EngineRequestError } from '../../../engine/service/engine-host/engine-host.ts';
import { spawnChildEngine } from '../../../engine/service/engine-host/child-process.ts';

let host: EngineHost | null = null;
afterEach(async () => {
  await host?.close();
  host = null;
});

describe('engine host (child process)', () => {
  it('answers, survives a kill mid-request with a clear error, restarts, and answers again', async () => {
    host = new EngineHost({ spawn: () => spawnChildEngine() });
    const states: EngineStatus['state'][] = [];
    host.onStatus((s) => states.push(s.state));
    const first = await host.request('ping', { delayMs: 0 });
    expect(first.pid).toBe(host.pid());
    // Bad ops and bad arguments are errors, not crashes.
    await expect(host.request('no-such-op' as never, {} as never)).rejects.toThrow(/unknown engine op "no-such-op"/);
    await expect(host.request('ping', { delayMs: 'soon' } as never)).rejects.toBeInstanceOf(EngineRequestError);
    await expect(host.request('ping', { delayMs: 'soon' } as never)).rejects.toThrow(/engine ping: delayMs: /);
    expect(host.pid()).toBe(first.pid);

    const inFlight = host.request('ping', { delayMs: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    process.kill(first.pid, 'SIGKILL');
    const err = await inFlight.then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(EngineCrashedError);
    expect(err!.message).toMatch(/stopped unexpectedly while working on ping .*SIGKILL.*restarted/);

    const again = await host.request('ping', { delayMs: 0 });
    expect(again.pid).not.toBe(first.pid);
    expect(states).toEqual(expect.arrayContaining(['crashed', 'restarting', 'ready']));
    expect(states.indexOf('crashed')).toBeLessThan(states.lastIndexOf('ready'));
    const st = host.status();
    expect(st.restarts).toBe(1);
    expect(st.message).toMatch(/restarted/);
  }, 30_000);

});
