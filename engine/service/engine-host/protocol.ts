// Messages between the service (Electron main or serve mode) and the engine process (Electron utilityProcess or a
// Node child process). Same protocol for both hosts. Every request gets exactly one 'res'; 'event' messages stream
// progress/tokens for a request in flight. The envelopes are zod schemas so that each side can check what arrives
// (the payloads inside are checked per op, against engine-contract.ts).
import { z } from 'zod';

const MsgId = z.number().int().nonnegative();

export const EngineRequestMsg = z.object({
  type: z.literal('req'),
  id: MsgId,
  op: z.string().max(200),
  args: z.unknown(),
});
export type EngineRequestMsg = z.infer<typeof EngineRequestMsg>;

export const EngineResponseMsg = z.union([
  z.object({ type: z.literal('res'), id: MsgId, ok: z.literal(true), result: z.unknown() }),
  z.object({
    type: z.literal('res'),
    id: MsgId,
    ok: z.literal(false),
    error: z.object({ message: z.string(), code: z.string().optional() }),
  }),
]);
export type EngineResponseMsg = z.infer<typeof EngineResponseMsg>;

export const EngineEventMsg = z.object({ type: z.literal('event'), id: MsgId, event: z.string(), data: z.unknown() });
export type EngineEventMsg = z.infer<typeof EngineEventMsg>;

export const EngineReadyMsg = z.object({
  type: z.literal('ready'),
  backend: z.enum(['cpu', 'cuda']),
  gpuName: z.string().nullable(),
  gpuMemoryBytes: z.number().nullable(),
  message: z.string().nullable(),
});
export type EngineReadyMsg = z.infer<typeof EngineReadyMsg>;

export const EngineToHostMsg = z.union([EngineResponseMsg, EngineEventMsg, EngineReadyMsg]);
export type EngineToHostMsg = z.infer<typeof EngineToHostMsg>;
export const HostToEngineMsg = EngineRequestMsg;
export type HostToEngineMsg = EngineRequestMsg;

/** A running engine process, whatever started it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  send(msg: HostToEngineMsg): void;
  onMessage(listener: (msg: unknown) => void): void;
  /** Each line the process writes to stdout or stderr (for the log file). */
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void;
  onExit(listener: (code: number | null, reason: string) => void): void;
  kill(): void;
}

/** Where the engine side sends its messages (process.send or a utilityProcess parentPort). Requests arrive
 *  unchecked: whatever the other end sent. */
export interface EngineChannel {
  post(msg: EngineToHostMsg): void;
  onRequest(listener: (msg: unknown) => void): void;
}
