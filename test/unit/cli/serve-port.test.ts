// `sparsevila serve --port N` on a port that is taken says so and what to do, and exits (no engine left running); without
// a built renderer it refuses to start.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import net from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serveCommand } from '../../../engine/cli/serve.ts';
import { tmpDir } from '../service/fixture.ts';

let blocker: net.Server;
let port: number;
let work: string;
beforeAll(async () => {
  work = tmpDir('sv-serve-port-');
  blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  port = (blocker.address() as net.AddressInfo).port;
  mkdirSync(path.join(work, 'renderer'));
  writeFileSync(path.join(work, 'renderer', 'index.html'), '<!doctype html>');
});
afterAll(async () => {
  await new Promise((resolve) => blocker.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

describe('sparsevila serve on a busy port', () => {
  it('exits 1 with a message naming the port and --port 0', async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s) => { err.push(String(s)); });
    try {
      const rc = await serveCommand(['--port', String(port), '--data', path.join(work, 'data'), '--renderer', path.join(work, 'renderer')]);
      expect(rc).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err.join('\n')).toContain(`port ${port} on 127.0.0.1 is already in use: pick another with --port N, or --port 0 for any free one`);
  }, 30_000);
});

describe('sparsevila serve without a built renderer', () => {
  it('refuses to start, saying how to build it', async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s) => { err.push(String(s)); });
    try {
      const rc = await serveCommand(['--port', '0', '--data', path.join(work, 'data'), '--renderer', path.join(work, 'not-built')]);
      expect(rc).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err.join('\n')).toContain(`sparsevila serve: the app's renderer is not built (${path.join(work, 'not-built', 'index.html')} is missing)`);
    expect(err.join('\n')).toContain('run `npm run build:renderer` first');
  });
});
