// Log files in <data folder>/logs: what the engine process printed and how it ended must be there after it was
// killed (a packaged app has no terminal), and the app can point the user at the folder.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineHost } from '../../../engine/service/engine-host/engine-host.ts';
import { spawnChildEngine } from '../../../engine/service/engine-host/child-process.ts';
import { copyConsoleTo, openLogFiles, type LogFiles } from '../../../engine/service/log-files.ts';
import { makeService, tmpDir } from './fixture.ts';

interface LogLine {
  proc: string;
  level: number;
  msg: string;
  stream?: string;
  enginePid?: number;
}
const readLog = (file: string): LogLine[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function openTempLogs(): LogFiles {
  const dir = tmpDir('sv-logs-');
  const logs = openLogFiles(dir, 'serve');
  cleanup.push(async () => {
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return logs;
}

describe('log files', () => {
  it('keep the output of a SIGKILLed engine process, the kill, and the request it was working on', async () => {
    const logs = openTempLogs();
    expect(path.dirname(logs.file)).toBe(logs.dir);
    const host = new EngineHost({ spawn: () => spawnChildEngine(), log: logs.engine });
    cleanup.push(() => host.close());
    const { pid } = await host.request('ping', {});
    const inFlight = host.request('ping', { delayMs: 30_000 }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    await inFlight;
    await vi.waitFor(
      () => {
        const lines = readLog(logs.file).filter((l) => l.proc === 'engine');
        // Its own output (stderr, captured by the host), then its end, with the signal and what it was doing.
        expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', enginePid: pid, msg: expect.stringMatching(new RegExp(`^\\[engine\\] ready \\(pid ${pid}\\)`)) }));
        expect(lines).toContainEqual(
          expect.objectContaining({ level: 50, msg: expect.stringMatching(new RegExp(`^engine process ${pid} ended \\(killed by SIGKILL\\) while working on ping #2`)) }),
        );
      },
      { timeout: 5_000 },
    );
  }, 30_000);

  it('copy what the process prints to the console, each while asked (two at once: serve modes in one test process)', async () => {
    const [a, b] = [openTempLogs(), openTempLogs()];
    const print = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const stopA = copyConsoleTo(a.main);
      const stopB = copyConsoleTo(b.main);
      console.error('[service] something failed:', new Error('disk full'));
      stopA();
      console.error('only in b');
      stopB();
      console.error('in neither');
    } finally {
      print.mockRestore();
    }
    await vi.waitFor(() => {
      expect(readLog(a.file).map((l) => l.msg)).toEqual([expect.stringMatching(/^\[service\] something failed: Error: disk full/)]);
      expect(readLog(b.file).map((l) => l.msg)).toEqual([expect.stringMatching(/^\[service\] something failed/), 'only in b']);
    });
  });

  it('app.openLogs returns the logs folder in serve mode (nothing to open there)', async () => {
    const svc = await makeService();
    cleanup.push(() => svc.close());
    const r = await svc.service.call('app.openLogs', {});
    expect(r).toEqual({ ok: true, res: { path: path.join(svc.dataDir, 'logs'), opened: false } });
    expect(existsSync(path.join(svc.dataDir, 'logs'))).toBe(true);
  });
});
