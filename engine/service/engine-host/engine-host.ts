// Owns the engine process: starts it, forwards requests, and survives its death. When the process exits unexpectedly,
// every request in flight fails with a clear EngineCrashedError, status goes 'crashed' -> 'restarting' -> 'ready',
// and the next request runs on a fresh process. Used with a Node child process (serve mode) and an Electron
// utilityProcess (desktop), through the EngineProcess interface.
import { EventEmitter } from 'node:events';
import type { EngineStatus } from '../../../electron/contract.ts';
import { EngineToHostMsg, type EngineProcess, type EngineReadyMsg, type EngineResponseMsg } from './protocol.ts';
import {
  describeZodError,
  engineOps,
  eventSchema,
  isEngineOpName,
  type EngineOpArgs,
  type EngineOpEvent,
  type EngineOpName,
  type EngineOpResult,
} from './engine-contract.ts';

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
  onEvent?: (e: { event: string; data: unknown }) => void;
  op: EngineOpName;
  startedAt: number;
}

type LogFn = (fields: Record<string, unknown>, msg: string) => void;
/** Where the host writes what happens to the engine process (a pino logger fits). */
export interface EngineLog {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
const silentLog: EngineLog = { info: () => {}, warn: () => {}, error: () => {} };

export interface EngineHostOptions {
  spawn: () => EngineProcess;
  /** Give up restarting after this many crashes within crashWindowMs (a process that dies at start would loop). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** How long a fresh process may take to report 'ready'. */
  startTimeoutMs?: number;
  /** The engine process's output lines, its requests, and how it ended (log files); nothing by default. */
  log?: EngineLog;
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

  /** Runs one engine op. The arguments are checked against the op's schema before they are sent, the result and
   *  the streamed events when they arrive; a mismatch is an EngineRequestError naming the op and the field. */
  async request<Op extends EngineOpName>(
    op: Op,
    args: EngineOpArgs<Op>,
    onEvent?: (e: EngineOpEvent<Op>) => void,
  ): Promise<EngineOpResult<Op>> {
    if (!isEngineOpName(op)) throw new EngineRequestError(`unknown engine op "${String(op).slice(0, 80)}"`, 'unknown_op');
    const checked = engineOps[op].req.safeParse(args);
    if (!checked.success) throw new EngineRequestError(`engine ${op}: ${describeZodError(checked.error)}`, 'invalid_request');
    await this.start();
    const proc = this.proc;
    if (!proc) throw new EngineCrashedError('the engine is not running');
    const id = this.nextId++;
    return new Promise<EngineOpResult<Op>>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onEvent: onEvent as Pending['onEvent'],
        op,
        startedAt: Date.now(),
      });
      this.setBusy();
      this.log.info({ enginePid: proc.pid, op, id }, `-> ${op} #${id}`);
      try {
        proc.send({ type: 'req', id, op, args: checked.data });
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

  /** Stops the engine process; resolves once it has exited (or after a few seconds if it does not say so). */
  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    this.proc = null;
    this.failPending(new EngineCrashedError('the engine was shut down'));
    if (!proc) return;
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<void>((resolve) => {
      proc.onExit(() => resolve());
      timer = setTimeout(resolve, 5_000);
    });
    proc.kill();
    await exited;
    clearTimeout(timer);
  }

  private launch(): Promise<void> {
    const startTimeoutMs = this.opts.startTimeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const proc = this.opts.spawn();
      this.proc = proc;
      this.log.info({ enginePid: proc.pid }, `engine process ${proc.pid ?? '?'} started`);
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        proc.kill();
        reject(new EngineCrashedError(`the engine did not start within ${Math.round(startTimeoutMs / 1000)} s`));
      }, startTimeoutMs);
      proc.onOutput((stream, line) => this.log.info({ enginePid: proc.pid, stream }, line));
      proc.onMessage((raw) => {
        const parsed = EngineToHostMsg.safeParse(raw);
        if (!parsed.success) {
          this.onMalformed(raw, describeZodError(parsed.error));
          return;
        }
        const msg = parsed.data;
        if (msg.type === 'ready') {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            this.onReady(msg);
            resolve();
          }
          return;
        }
        if (msg.type === 'event') this.onEvent(msg.id, msg.event, msg.data);
        else this.onResponse(msg);
      });
      proc.onExit((code, reason) => {
        clearTimeout(timer);
        const inFlight = this.proc === proc ? [...this.pending.entries()].map(([id, p]) => `${p.op} #${id}`) : [];
        this.log[this.closed ? 'info' : 'error'](
          { enginePid: proc.pid, code, reason },
          `engine process ${proc.pid ?? '?'} ended (${reason})${inFlight.length ? ` while working on ${inFlight.join(', ')}` : ''}`,
        );
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

  private get log(): EngineLog {
    return this.opts.log ?? silentLog;
  }

  private onResponse(msg: EngineResponseMsg): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    const ms = Date.now() - p.startedAt;
    if (msg.ok) {
      const result = engineOps[p.op].res.safeParse(msg.result);
      if (result.success) {
        this.log.info({ op: p.op, id: msg.id, ms }, `<- ${p.op} #${msg.id} ok (${ms} ms)`);
        p.resolve(result.data);
      } else {
        const problem = `engine ${p.op}: the engine's result does not match the protocol (${describeZodError(result.error)})`;
        this.log.error({ op: p.op, id: msg.id }, problem);
        p.reject(new EngineRequestError(problem, 'bad_response'));
      }
    } else {
      this.log.warn({ op: p.op, id: msg.id, ms, code: msg.error.code }, `<- ${p.op} #${msg.id} failed: ${msg.error.message}`);
      p.reject(new EngineRequestError(msg.error.message || `engine ${p.op} failed`, msg.error.code));
    }
    this.setIdleIfDone();
  }

  private onEvent(id: number, event: string, data: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    const schema = eventSchema(p.op, event);
    const checked = schema?.safeParse(data);
    if (!checked?.success) {
      const why = checked ? describeZodError(checked.error) : `${p.op} does not stream "${event.slice(0, 80)}" events`;
      this.log.warn({ op: p.op, id, event }, `dropped a malformed engine event: ${why}`);
      return;
    }
    p.onEvent?.({ event, data: checked.data });
  }

  /** Something that is not a protocol message. If it names a request in flight, that request fails; else it is logged. */
  private onMalformed(raw: unknown, why: string): void {
    const id = (raw as { id?: unknown } | null)?.id;
    const p = typeof id === 'number' ? this.pending.get(id) : undefined;
    const problem = `malformed message from the engine: ${why}`;
    this.log.error({ id }, problem);
    if (!p || typeof id !== 'number') return;
    this.pending.delete(id);
    p.reject(new EngineRequestError(`engine ${p.op}: ${problem}`, 'bad_response'));
    this.setIdleIfDone();
  }

  private onReady(msg: EngineReadyMsg): void {
    const wasRestart = this.current.state === 'restarting';
    this.log.info({ enginePid: this.proc?.pid, backend: msg.backend }, `engine ready on ${msg.backend}${msg.message ? `: ${msg.message}` : ''}`);
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
