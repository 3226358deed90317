// SparseVilaApi over serve mode's WebSocket: {id, call, req} out, {id, ok, res|error} and {event, payload} in.
// Calls made before the socket opens are queued; if the connection drops, calls in flight fail with a clear message
// and the client reconnects (with backoff) so the app recovers when the server comes back.
// Type-only imports from the contract: zod stays out of the renderer bundle (the server validates).
import type { CallName, CallReq, CallRes, ContractError, EventName, EventPayload, SparseVilaApi } from '../../../electron/contract.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ContractError['code'] | 'disconnected',
    message: string,
  ) {
    super(message);
  }
}

/** The subset of the browser WebSocket this client uses (the `ws` package's WebSocket fits too, for tests). */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface WsApiOptions {
  url: string;
  createSocket?: (url: string) => WebSocketLike;
  /** Called whenever the connection opens or drops (the UI can show "reconnecting…"). */
  onConnectionChange?: (connected: boolean) => void;
  maxBackoffMs?: number;
}

export interface WsApi extends SparseVilaApi {
  close(): void;
  connected(): boolean;
}

const OPEN = 1;

export function createWsApi(opts: WsApiOptions): WsApi {
  const createSocket = opts.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; name: string }>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let isOpen = false;
  let closed = false;
  let backoff = 250;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  const connect = () => {
    if (closed) return;
    const ws = createSocket(opts.url);
    socket = ws;
    ws.onopen = () => {
      isOpen = true;
      backoff = 250;
      opts.onConnectionChange?.(true);
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (ev) => onMessage(ev.data);
    ws.onerror = () => undefined; // onclose follows and handles it
    ws.onclose = () => {
      const wasOpen = isOpen;
      isOpen = false;
      if (socket === ws) socket = null;
      if (wasOpen) opts.onConnectionChange?.(false);
      const lost = [...pending.values()];
      pending.clear();
      for (const p of lost) p.reject(new ApiError('disconnected', `${p.name}: the connection to the SparseVILA server was lost; reconnecting`));
      if (!closed) {
        reconnectTimer = setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 5000);
      }
    };
  };

  const onMessage = (data: unknown) => {
    let msg: { id?: unknown; ok?: boolean; res?: unknown; error?: ContractError; event?: string; payload?: unknown };
    try {
      msg = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      for (const l of listeners.get(msg.event) ?? []) {
        try {
          l(msg.payload);
        } catch (err) {
          console.error(`listener for ${msg.event} failed`, err);
        }
      }
      return;
    }
    if (typeof msg.id !== 'number') {
      if (msg.error) console.error(`server: ${msg.error.message}`);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.res);
    else p.reject(new ApiError(msg.error?.code ?? 'internal', msg.error?.message ?? `${p.name} failed`));
  };

  connect();

  return {
    call<N extends CallName>(name: N, req: CallReq<N>): Promise<CallRes<N>> {
      if (closed) return Promise.reject(new ApiError('disconnected', 'the API client is closed'));
      const id = nextId++;
      const text = JSON.stringify({ id, call: name, req });
      return new Promise<CallRes<N>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, name });
        if (isOpen && socket?.readyState === OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      socket?.close();
      for (const p of pending.values()) p.reject(new ApiError('disconnected', `${p.name}: the API client was closed`));
      pending.clear();
    },
    connected: () => isOpen,
  };
}
