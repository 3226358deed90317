// The engine process's request loop: one handler per op, requests run concurrently (a 'stop' must arrive while an
// 'ask' streams), each answered exactly once. Errors become messages, never a dead process.
import type { EngineChannel, EngineEventMsg, HostToEngineMsg } from './protocol.ts';
import { engineOps, type OpContext } from './engine-ops.ts';

export class EngineWorker {
  constructor(private readonly channel: EngineChannel) {}

  async start(): Promise<void> {
    this.channel.onRequest((msg) => void this.handle(msg));
    const info = await engineOps.detect();
    this.channel.post({ type: 'ready', ...info });
  }

  private async handle(msg: HostToEngineMsg): Promise<void> {
    if (!msg || msg.type !== 'req' || typeof msg.id !== 'number') return;
    const op = Object.prototype.hasOwnProperty.call(engineOps.handlers, msg.op) ? engineOps.handlers[msg.op] : undefined;
    if (!op) {
      this.channel.post({ type: 'res', id: msg.id, ok: false, error: { message: `unknown engine op "${String(msg.op)}"` } });
      return;
    }
    const ctx: OpContext = {
      emit: (event, data) => this.channel.post({ type: 'event', id: msg.id, event, data } satisfies EngineEventMsg),
    };
    try {
      const result = await op(msg.args, ctx);
      this.channel.post({ type: 'res', id: msg.id, ok: true, result });
    } catch (err) {
      const e = err as Error & { code?: string };
      this.channel.post({ type: 'res', id: msg.id, ok: false, error: { message: e.message || String(err), code: e.code } });
    }
  }
}
