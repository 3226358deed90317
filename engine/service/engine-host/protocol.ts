// Messages between the service (Electron main or serve mode) and the engine process (Electron utilityProcess or a
// Node child process). Same protocol for both hosts. Every request gets exactly one 'res'; 'event' messages stream
// progress/tokens for a request in flight.
export interface EngineRequestMsg {
  type: 'req';
  id: number;
  op: string;
  args: unknown;
}
export interface EngineResponseMsg {
  type: 'res';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { message: string; code?: string };
}
export interface EngineEventMsg {
  type: 'event';
  id: number;
  event: string;
  data: unknown;
}
export interface EngineReadyMsg {
  type: 'ready';
  backend: 'cpu' | 'cuda';
  gpuName: string | null;
  gpuMemoryBytes: number | null;
  message: string | null;
}
export type EngineToHostMsg = EngineResponseMsg | EngineEventMsg | EngineReadyMsg;
export type HostToEngineMsg = EngineRequestMsg;

export function isEngineToHostMsg(m: unknown): m is EngineToHostMsg {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'res' || t === 'event' || t === 'ready';
}

/** A running engine process, whatever started it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  send(msg: HostToEngineMsg): void;
  onMessage(listener: (msg: unknown) => void): void;
  onExit(listener: (code: number | null, reason: string) => void): void;
  kill(): void;
}

/** Where the engine side sends its messages (process.send or a utilityProcess parentPort). */
export interface EngineChannel {
  post(msg: EngineToHostMsg): void;
  onRequest(listener: (msg: HostToEngineMsg) => void): void;
}
