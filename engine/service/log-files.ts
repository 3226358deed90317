// Log files in <data folder>/logs/, one per program (app.log: the desktop app's main process; serve.log: serve mode),
// rotated by size. The engine process's output and how it ended are written by its host in the parent process, so
// they survive the engine being killed (its own buffers would die with it).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import { createStream } from 'rotating-file-stream';

export type LogProgram = 'app' | 'serve';

export function logsDir(dataDir: string): string {
  return path.join(dataDir, 'logs');
}

export interface LogFiles {
  dir: string;
  /** The file being written now (older ones are renamed with a date prefix when it reaches its size). */
  file: string;
  /** This process (Electron main or serve mode). */
  main: Logger;
  /** The engine process: its stdout/stderr lines, its requests, its start and its end. */
  engine: Logger;
  close(): Promise<void>;
}

export function openLogFiles(dataDir: string, program: LogProgram, rotation: { size?: string; maxFiles?: number } = {}): LogFiles {
  const dir = logsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const name = `${program}.log`;
  const stream = createStream(name, { path: dir, size: rotation.size ?? '10M', maxFiles: rotation.maxFiles ?? 5 });
  let closed = false;
  // Lines logged after close (an engine process that reports its exit late) are dropped, not a write-after-end crash.
  const destination = { write: (line: string) => void (closed || stream.write(line)) };
  const root = pino({ base: { pid: process.pid }, timestamp: stdTimeFunctions.isoTime }, destination);
  return {
    dir,
    file: path.join(dir, name),
    main: root.child({ proc: program === 'app' ? 'main' : 'serve' }),
    engine: root.child({ proc: 'engine' }),
    close: () => {
      closed = true;
      return new Promise<void>((resolve) => stream.end(() => resolve()));
    },
  };
}

const levels = { log: 'info', info: 'info', warn: 'warn', error: 'error' } as const;
type ConsoleMethod = keyof typeof levels;
const consoleLogs = new Set<Logger>();
let originalConsole: Map<ConsoleMethod, (...args: unknown[]) => void> | null = null;

/** Copies what this process prints through console.log/info/warn/error into the log (it still prints). Returns the
 *  function that undoes it. Several logs may copy at once (serve modes started by one test process). */
export function copyConsoleTo(log: Logger): () => void {
  consoleLogs.add(log);
  if (!originalConsole) {
    originalConsole = new Map();
    for (const method of Object.keys(levels) as ConsoleMethod[]) {
      const original = console[method];
      originalConsole.set(method, original);
      console[method] = (...args: unknown[]) => {
        original.apply(console, args);
        const line = format(...args);
        for (const l of consoleLogs) l[levels[method]](line);
      };
    }
  }
  return () => {
    consoleLogs.delete(log);
    if (consoleLogs.size > 0 || !originalConsole) return;
    for (const [method, original] of originalConsole) console[method] = original;
    originalConsole = null;
  };
}
