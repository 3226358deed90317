// Serve mode's engine host: the engine runs in a Node child process, so a crash or a kill there leaves the server
// running. From a build (dist/cli) it runs the bundled worker next to this module; from a source checkout, the
// TypeScript source through tsx (a devDependency).
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineProcess, HostToEngineMsg } from './protocol.ts';
import { ProcessOutput } from './process-output.ts';

/** The bundled engine worker's file name, next to the bundled CLI (see vite.cli.config.mts). */
export const WORKER_BUNDLE = 'engine-worker.mjs';

export function engineWorkerEntry(here = path.dirname(fileURLToPath(import.meta.url))): { file: string; execArgv: string[] } {
  const bundled = path.join(here, WORKER_BUNDLE);
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  let tsx: string;
  try {
    tsx = createRequire(import.meta.url).resolve('tsx');
  } catch {
    throw new Error(`the engine worker is not built (${bundled} is missing) and tsx is not installed to run it from source: run \`npm run build:cli\``);
  }
  return { file: path.join(here, 'worker-main.ts'), execArgv: ['--import', pathToFileURL(tsx).href] };
}

export function spawnChildEngine(env: Record<string, string | undefined> = {}): EngineProcess {
  const entry = engineWorkerEntry();
  const child = fork(entry.file, [], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, ...env },
  });
  const output = new ProcessOutput(child);
  let exited = false;
  return {
    get pid() {
      return child.pid;
    },
    send(msg: HostToEngineMsg) {
      if (exited || !child.connected) throw new Error('engine process is not running');
      child.send(msg);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onOutput(listener) {
      output.onLine(listener);
    },
    onExit(listener) {
      child.on('exit', (code, signal) => {
        exited = true;
        listener(code, signal ? `killed by ${signal}` : `exit code ${code}`);
      });
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}
