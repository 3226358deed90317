// What the engine process can do. Each op validates its own args (the host is trusted, but cheap checks keep
// errors readable).
import { z } from 'zod';
import { loadAddon } from '../../core/backend/cuda/addon.ts';
import { registerCudaBackend } from '../../core/backend/cuda/register.ts';
import { ChatSessions } from './chat-sessions.ts';
import type { AskArgs, PrepareArgs } from './ops-types.ts';

export interface OpContext {
  emit(event: string, data: unknown): void;
}
export type EngineOp = (args: unknown, ctx: OpContext) => Promise<unknown>;

const PingArgs = z.object({ delayMs: z.number().int().min(0).max(600_000).default(0) });
const SessionArgs = z.object({ sessionId: z.string().min(1) });

registerCudaBackend();
const sessions = new ChatSessions();

/** What the engine runs on: the GPU when the native addon finds one, else the CPU (with the reason). */
async function detect(): Promise<{ backend: 'cpu' | 'cuda'; gpuName: string | null; gpuMemoryBytes: number | null; message: string | null }> {
  const st = loadAddon();
  if (st.gpu && st.info) {
    return { backend: 'cuda', gpuName: st.info.name ?? 'GPU', gpuMemoryBytes: st.info.totalBytes ?? null, message: st.message };
  }
  return { backend: 'cpu', gpuName: null, gpuMemoryBytes: null, message: st.message };
}

export const engineOps: { detect: typeof detect; handlers: Record<string, EngineOp> } = {
  detect,
  handlers: {
    /** Liveness check; with a delay it is also how tests hold a request in flight. */
    async ping(args) {
      const { delayMs } = PingArgs.parse(args ?? {});
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return { pid: process.pid };
    },
    async prepare(args, ctx) {
      return sessions.prepare(args as PrepareArgs, (p) => ctx.emit('progress', p));
    },
    async ask(args, ctx) {
      return sessions.ask(args as AskArgs, (text) => ctx.emit('token', { text }), (p) => ctx.emit('progress', p));
    },
    async stop(args) {
      return { ok: sessions.stop(SessionArgs.parse(args).sessionId) };
    },
    async cancelPrepare(args) {
      return { ok: sessions.cancelPrepare(SessionArgs.parse(args).sessionId) };
    },
    async drop(args) {
      return { ok: sessions.drop(SessionArgs.parse(args).sessionId) };
    },
  },
};
