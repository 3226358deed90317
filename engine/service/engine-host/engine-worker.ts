// The engine process's request loop: requests run concurrently (a 'stop' must arrive while an 'ask' streams), each
// answered exactly once. What arrives is checked against the protocol and the op's request schema first; a malformed
// message becomes an error answer (or, without an id to answer, a line on stderr), never a dead process.
import { HostToEngineMsg, type EngineChannel } from './protocol.ts';
import { describeZodError, engineOps, isEngineOpName, type EngineOpName } from './engine-contract.ts';
import type { EngineHandlers, EngineInfo, OpContext } from './engine-ops.ts';

export class EngineWorker {
  constructor(
    private readonly channel: EngineChannel,
    private readonly handlers: EngineHandlers,
  ) {}

  async start(detect: () => Promise<EngineInfo>): Promise<void> {
    this.channel.onRequest((msg) => void this.handle(msg));
    const info = await detect();
    console.error(`[engine] ready (pid ${process.pid}): ${info.backend}${info.message ? ` - ${info.message}` : ''}`);
    this.channel.post({ type: 'ready', ...info });
  }

  private async handle(raw: unknown): Promise<void> {
    const envelope = HostToEngineMsg.safeParse(raw);
    if (!envelope.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      const problem = `malformed request: ${describeZodError(envelope.error)}`;
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0) this.fail(id, problem, 'invalid_request');
      else console.error(`[engine] ignored a ${problem}`);
      return;
    }
    const { id, op, args } = envelope.data;
    if (!isEngineOpName(op)) {
      this.fail(id, `unknown engine op "${op.slice(0, 80)}"`, 'unknown_op');
      return;
    }
    const parsed = engineOps[op].req.safeParse(args);
    if (!parsed.success) {
      this.fail(id, `engine ${op}: ${describeZodError(parsed.error)}`, 'invalid_request');
      return;
    }
    try {
      const result = await this.run(op, parsed.data, id);
      this.channel.post({ type: 'res', id, ok: true, result });
    } catch (err) {
      const e = err as Error & { code?: unknown };
      const code = typeof e?.code === 'string' ? e.code : undefined;
      // An error with a code is an expected outcome (ABORTED: stopped by the user); others get their stack in the log.
      console.error(`[engine] ${op} #${id} failed: ${code ? `${code}: ${e.message}` : (e?.stack ?? String(err))}`);
      this.fail(id, e?.message || String(err), code);
    }
  }

  private run<Op extends EngineOpName>(op: Op, args: unknown, id: number): Promise<unknown> {
    const ctx: OpContext<Op> = {
      emit: ({ event, data }) => this.channel.post({ type: 'event', id, event, data }),
    };
    const handler = this.handlers[op] as (args: unknown, ctx: OpContext<Op>) => Promise<unknown>;
    return handler(args, ctx);
  }

  private fail(id: number, message: string, code?: string): void {
    this.channel.post({ type: 'res', id, ok: false, error: { message, ...(code ? { code } : {}) } });
  }
}
