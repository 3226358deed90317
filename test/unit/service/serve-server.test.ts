// Serve mode's HTTP + WebSocket server: token on every request, Host/Origin checks, hostile payloads answered with
// clear errors (never a crash), static files without path traversal, media with Range.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startServeServer, type ServeHandle } from '../../../engine/service/serve/http-server.ts';
import { createWsApi } from '../../../renderer/src/api/ws-client.ts';
import { makeService, tmpDir } from './fixture.ts';

let svc: Awaited<ReturnType<typeof makeService>>;
let server: ServeHandle;
let origin: string;
const token = 'tok-' + 'x'.repeat(28);

beforeAll(async () => {
  svc = await makeService();
  const staticDir = tmpDir('sv-static-');
  mkdirSync(path.join(staticDir, 'assets'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(staticDir, 'assets', 'a.js'), 'console.log(1)');
  server = await startServeServer({ service: svc.service, staticDir, host: '127.0.0.1', port: 0, token });
  origin = `http://127.0.0.1:${server.port}`;
}, 30_000);
afterAll(async () => {
  await server?.close();
  await svc?.close();
});

function rawGet(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

describe('serve mode server', () => {
  it('requires the token on every request, sets the cookie, and sends a strict CSP', async () => {
    expect((await rawGet('/')).status).toBe(401);
    expect((await rawGet('/assets/a.js')).status).toBe(401);
    expect((await rawGet(`/?token=wrong-${token.slice(6)}`)).status).toBe(401);
    const ok = await rawGet(`/?token=${token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers['set-cookie']?.[0]).toMatch(/HttpOnly; SameSite=Strict/);
    expect(ok.headers['content-security-policy']).toMatch(/script-src 'self';/);
    const cookie = ok.headers['set-cookie']![0].split(';')[0];
    expect((await rawGet('/assets/a.js', { Cookie: cookie })).status).toBe(200);
    expect((await rawGet('/assets/a.js', { Authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('refuses foreign Host headers (DNS rebinding) and path traversal', async () => {
    expect((await rawGet(`/?token=${token}`, { Host: `evil.example:${server.port}` })).status).toBe(421);
    const trav = await rawGet(`/..%2f..%2f..%2fetc%2fpasswd?token=${token}`);
    expect(trav.body).not.toMatch(/root:/);
    expect((await rawGet(`/media/thumb/..%2f..%2fx/poster.jpg?token=${token}`)).status).toBe(404);
  });

  it('refuses WebSockets without the token or from another origin', async () => {
    await expect(openSocket(`ws://127.0.0.1:${server.port}/api`)).rejects.toThrow(/401/);
    await expect(openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
  });

  it('answers hostile WebSocket payloads with errors and keeps serving', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { Origin: origin });
    const ask = async (raw: string | Buffer) => {
      const p = nextMessage(ws);
      ws.send(raw);
      return p;
    };
    expect(await ask('not json')).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await ask(Buffer.from([1, 2, 3]))).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await ask('{"id":1}')).toMatchObject({ id: 1, ok: false, error: { code: 'invalid_request' } });
    expect(await ask('{"id":2,"call":"__proto__","req":{}}')).toMatchObject({ id: 2, ok: false, error: { code: 'unknown_call' } });
    expect(await ask('{"id":3,"call":"constructor","req":{}}')).toMatchObject({ id: 3, ok: false, error: { code: 'unknown_call' } });
    expect(await ask('{"id":4,"call":"settings.set","req":{"frames":-5}}')).toMatchObject({ id: 4, ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/frames/) } });
    expect(await ask('{"id":5,"call":"conversations.get","req":{"id":"../../etc/passwd"}}')).toMatchObject({ id: 5, ok: false, error: { code: 'invalid_request' } });
    expect(await ask('{"id":6,"call":"videos.open","req":{"path":"/definitely/not/here.mp4"}}')).toMatchObject({ id: 6, ok: false, error: { code: 'invalid_request' } });
    expect(await ask('{"id":7,"call":"settings.get","req":5}')).toMatchObject({ id: 7, ok: false });
    expect(await ask(JSON.stringify({ id: 8, call: 'chat.ask', req: { conversationId: 'c-1', question: 'x'.repeat(30_000) } }))).toMatchObject({ id: 8, ok: false, error: { code: 'invalid_request' } });
    // Over maxPayload (1 MiB): the server drops this socket, not itself.
    const closed = new Promise((r) => ws.once('close', r));
    ws.send('x'.repeat(2 << 20));
    await closed;
    const ws2 = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`);
    const p = nextMessage(ws2);
    ws2.send('{"id":9,"call":"settings.get","req":{}}');
    expect(await p).toMatchObject({ id: 9, ok: true, res: { frames: 32 } });
    ws2.close();
  });

  it('serves the contract to the renderer WebSocket client, with events', async () => {
    const api = createWsApi({ url: `ws://127.0.0.1:${server.port}/api?token=${token}`, createSocket: (u) => new WebSocket(u) as never });
    try {
      const info = await api.call('app.info', {});
      expect(info).toMatchObject({ version: '0.0.0-test', serveMode: true });
      const set = await api.call('settings.set', { frames: 16, policy: 'dense' });
      expect(set.frames).toBe(16);
      await expect(api.call('conversations.get', { id: 'c-nope' })).rejects.toMatchObject({ code: 'not_found' });
      const statuses: string[] = [];
      const off = api.on('engine.status', (s) => statuses.push(s.state));
      await svc.service.engine.request('ping', { delayMs: 50 });
      await new Promise((r) => setTimeout(r, 100));
      off();
      expect(statuses.slice(-2)).toEqual(["busy", "ready"]);
    } finally {
      api.close();
    }
  }, 30_000);  // the first engine request waits for the engine process to start (seconds on a loaded machine)

  it('answers HTTP POST /api/call/<name> for scripts', async () => {
    const r = await fetch(`${origin}/api/call/settings.get`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{}' });
    expect(r.status).toBe(200);
    const bad = await fetch(`${origin}/api/call/settings.set`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{"temperature": "hot"}' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/temperature/);
  });
});
