// One WebSocket message: {id, call, req} -> {id, ok: true, res} | {id, ok: false, error}. Anything malformed gets an
// error reply (never a thrown exception, never a closed server).
import type { RawData, WebSocket } from 'ws';
import type { AppService } from '../service.ts';

export async function handleSocketMessage(service: AppService, ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
  const reply = (msg: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  if (isBinary) return reply({ id: null, ok: false, error: { code: 'invalid_request', message: 'binary messages are not supported' } });
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString());
  } catch {
    return reply({ id: null, ok: false, error: { code: 'invalid_request', message: 'message is not valid JSON' } });
  }
  const m = msg as { id?: unknown; call?: unknown; req?: unknown };
  const id = typeof m?.id === 'number' || typeof m?.id === 'string' ? m.id : null;
  if (id === null || typeof m.call !== 'string') {
    return reply({ id, ok: false, error: { code: 'invalid_request', message: 'expected {"id": number, "call": string, "req": object}' } });
  }
  const result = await service.call(m.call, m.req ?? {});
  reply({ id, ...result });
}
