// The renderer's WebSocket client: queues calls until the socket opens, rejects calls in flight with a clear
// 'disconnected' error when the connection drops, reconnects by itself, and delivers events to listeners.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { createWsApi } from '../../../renderer/src/api/ws-client.ts';

let wss: WebSocketServer;
let url: string;
let connections = 0;
const hold: WebSocket[] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws) => {
    connections++;
    ws.send(JSON.stringify({ event: 'engine.status', payload: { state: 'ready', connection: connections } }));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.call === 'app.info') ws.send(JSON.stringify({ id: m.id, ok: true, res: { connection: connections } }));
      else if (m.call === 'chat.stop') hold.push(ws); // never answered: stays in flight
      else ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: 'unknown_call', message: `unknown call "${m.call}"` } }));
    });
  });
});
afterAll(() => new Promise<void>((r) => wss.close(() => r())));

describe('WebSocket API client', () => {
  it('queues, answers, rejects on disconnect, reconnects, and delivers events', async () => {
    const changes: boolean[] = [];
    const api = createWsApi({ url, createSocket: (u) => new WebSocket(u) as never, onConnectionChange: (c) => changes.push(c), maxBackoffMs: 100 });
    const statuses: unknown[] = [];
    api.on('engine.status', (s) => statuses.push(s));
    try {
      expect(await api.call('app.info', {})).toEqual({ connection: 1 });
      await expect(api.call('videos.recent', {})).rejects.toMatchObject({ code: 'unknown_call', message: 'unknown call "videos.recent"' });
      const inFlight = api.call('chat.stop', { conversationId: 'c-1' });
      while (hold.length === 0) await new Promise((r) => setTimeout(r, 5));
      hold[0].terminate();
      await expect(inFlight).rejects.toMatchObject({ code: 'disconnected', message: expect.stringMatching(/connection .* was lost/) });
      // Called while reconnecting: queued and sent once the new socket opens.
      expect(await api.call('app.info', {})).toEqual({ connection: 2 });
      expect(changes).toEqual([true, false, true]);
      expect(statuses).toEqual([
        { state: 'ready', connection: 1 },
        { state: 'ready', connection: 2 },
      ]);
    } finally {
      api.close();
    }
    await expect(api.call('app.info', {})).rejects.toMatchObject({ code: 'disconnected' });
  });
});
