// What the engine process can do: one handler per op of engine-contract.ts. Handlers get arguments the worker has
// already validated against the op's request schema.
import { loadAddon } from '../../core/backend/cuda/addon.ts';
import { ChatSessions } from './chat-sessions.ts';
import { QuantizeJobs } from './quantize-jobs.ts';
import type { EngineOpEvent, EngineOpName, EngineOpParsedArgs, EngineOpResult } from './engine-contract.ts';
import type { EngineReadyMsg } from './protocol.ts';

export interface OpContext<Op extends EngineOpName> {
  emit(event: EngineOpEvent<Op>): void;
}
export type EngineHandlers = {
  [Op in EngineOpName]: (args: EngineOpParsedArgs<Op>, ctx: OpContext<Op>) => Promise<EngineOpResult<Op>>;
};
export type EngineInfo = Omit<EngineReadyMsg, 'type'>;

/** What the engine runs on: the GPU when the native addon finds one, else the CPU (with the reason). */
export async function detectEngine(): Promise<EngineInfo> {
  const st = loadAddon();
  if (st.gpu && st.info) {
    return { backend: 'cuda', gpuName: st.info.name ?? 'GPU', gpuMemoryBytes: st.info.totalBytes ?? null, message: st.message };
  }
  return { backend: 'cpu', gpuName: null, gpuMemoryBytes: null, message: st.message };
}

export function createEngineHandlers(): EngineHandlers {
  const sessions = new ChatSessions();
  const quantize = new QuantizeJobs();
  return {
    async ping({ delayMs }) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return { pid: process.pid };
    },
    async prepare(args, ctx) {
      return sessions.prepare(args, (data) => ctx.emit({ event: 'progress', data }));
    },
    async ask(args, ctx) {
      return sessions.ask(
        args,
        (text) => ctx.emit({ event: 'token', data: { text } }),
        (data) => ctx.emit({ event: 'progress', data }),
      );
    },
    async stop({ sessionId }) {
      return { ok: sessions.stop(sessionId) };
    },
    async cancelPrepare({ sessionId }) {
      return { ok: sessions.cancelPrepare(sessionId) };
    },
    async drop({ sessionId }) {
      return { ok: sessions.drop(sessionId) };
    },
    async quantize(args, ctx) {
      return quantize.run(args, (data) => ctx.emit({ event: 'progress', data }));
    },
    async cancelQuantize({ jobId }) {
      return { ok: quantize.cancel(jobId) };
    },
  };
}
