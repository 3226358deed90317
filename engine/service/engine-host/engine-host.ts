// Owns the engine process: starts it, forwards requests, and survives its death. When the process exits unexpectedly,
// every request in flight fails with a clear EngineCrashedError, status goes 'crashed' -> 'restarting' -> 'ready',
// and the next request runs on a fresh process. Used with a Node child process (serve mode) and an Electron
// utilityProcess (desktop), through the EngineProcess interface.
import { EventEmitter } from 'node:events';
import type { EngineStatus } from '../../../electron/contract.ts';
import { isEngineToHostMsg, type EngineProcess, type EngineReadyMsg } from './protocol.ts';

export class EngineCrashedError extends Error {
  override name = 'EngineCrashedError';
}
export class EngineRequestError extends Error {
  override name = 'EngineRequestError';
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent?: (event: string, data: unknown) => void;
  op: string;
}

export interface EngineHostOptions {
  spawn: () => EngineProcess;
  /** Give up restarting after this many crashes within crashWindowMs (a process that dies at start would loop). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** How long a fresh process may take to report 'ready'. */
  startTimeoutMs?: number;
}

export class EngineHost {
  private proc: EngineProcess | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private ready: Promise<void> | null = null;
  private crashTimes: number[] = [];
  private closed = false;
  private emitter = new EventEmitter();
  private current: EngineStatus = {
    state: 'starting',
    backend: 'cpu',
    gpuName: null,
    gpuMemoryBytes: null,
    message: null,
    restarts: 0,
  };

  constructor(private readonly opts: EngineHostOptions) {}

  status(): EngineStatus {
    return { ...this.current };
  }

  onStatus(listener: (s: EngineStatus) => void): () => void {
    this.emitter.on('status', listener);
    return () => this.emitter.off('status', listener);
  }

  /** Starts the engine process if it is not running; resolves once it reported 'ready'. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new EngineCrashedError('the engine host is closed'));
    if (!this.ready) this.ready = this.launch();
    return this.ready;
  }

  async request<T>(op: string, args: unknown, onEvent?: (event: string, data: unknown) => void): Promise<T> {
    await this.start();
    const proc = this.proc;
    if (!proc) throw new EngineCrashedError('the engine is not running');
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent, op });
      this.setBusy();
      try {
        proc.send({ type: 'req', id, op, args });
      } catch (err) {
        this.pending.delete(id);
        reject(new EngineCrashedError(`could not reach the engine: ${(err as Error).message}`));
      }
    });
  }

  /** The pid of the engine process (tests kill it to prove the host survives). */
  pid(): number | undefined {
    return this.proc?.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    this.proc = null;
    this.failPending(new EngineCrashedError('the engine was shut down'));
    proc?.kill();
  }

  private launch(): Promise<void> {
    const startTimeoutMs = this.opts.startTimeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const proc = this.opts.spawn();
      this.proc = proc;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        proc.kill();
        reject(new EngineCrashedError(`the engine did not start within ${Math.round(startTimeoutMs / 1000)} s`));
      }, startTimeoutMs);
      proc.onMessage((msg) => {
        if (!isEngineToHostMsg(msg)) return;
        if (msg.type === 'ready') {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            this.onReady(msg);
            resolve();
          }
          return;
        }
        const p = this.pending.get(msg.id);
        if (!p) return;
        if (msg.type === 'event') {
          p.onEvent?.(msg.event, msg.data);
          return;
        }
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new EngineRequestError(msg.error?.message ?? `engine ${p.op} failed`, msg.error?.code));
        this.setIdleIfDone();
      });
      proc.onExit((code, reason) => {
        clearTimeout(timer);
        if (this.proc !== proc) return;
        this.proc = null;
        this.ready = null;
        if (!settled) {
          settled = true;
          reject(new EngineCrashedError(`the engine exited while starting (${reason})`));
        }
        if (this.closed) return;
        this.onCrash(code, reason);
      });
    });
  }

  private onReady(msg: EngineReadyMsg): void {
    const wasRestart = this.current.state === 'restarting';
    this.setStatus({
      state: 'ready',
      backend: msg.backend,
      gpuName: msg.gpuName,
      gpuMemoryBytes: msg.gpuMemoryBytes,
      message: wasRestart ? `The engine was restarted after it stopped unexpectedly. ${msg.message ?? ''}`.trim() : msg.message,
    });
  }

  private onCrash(code: number | null, reason: string): void {
    const inFlight = [...this.pending.values()].map((p) => p.op);
    const what = inFlight.length ? ` while working on ${inFlight.join(', ')}` : '';
    this.failPending(
      new EngineCrashedError(`The engine process stopped unexpectedly${what} (${reason}). It is being restarted; please try again.`),
    );
    const now = Date.now();
    const windowMs = this.opts.crashWindowMs ?? 60_000;
    this.crashTimes = this.crashTimes.filter((t) => now - t < windowMs).concat(now);
    this.setStatus({ state: 'crashed', message: `The engine stopped unexpectedly (${reason}).` });
    if (this.crashTimes.length > (this.opts.maxCrashes ?? 5)) {
      this.setStatus({
        state: 'crashed',
        message: `The engine crashed ${this.crashTimes.length} times in a minute (last: ${reason}); not restarting. Check the model and backend settings, then restart the app.`,
      });
      return;
    }
    this.setStatus({ state: 'restarting', restarts: this.current.restarts + 1, message: `Restarting the engine after: ${reason}` });
    this.start().catch((err: Error) => this.setStatus({ state: 'crashed', message: `The engine could not be restarted: ${err.message}` }));
    void code;
  }

  private failPending(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private setBusy(): void {
    if (this.current.state === 'ready') this.setStatus({ state: 'busy' });
  }

  private setIdleIfDone(): void {
    if (this.pending.size === 0 && this.current.state === 'busy') this.setStatus({ state: 'ready' });
  }

  private setStatus(patch: Partial<EngineStatus>): void {
    this.current = { ...this.current, ...patch };
    this.emitter.emit('status', this.status());
  }
}
