// Serve mode's engine host: the engine runs in a Node child process (TypeScript through tsx), so a crash or a kill
// there leaves the server running.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineProcess, HostToEngineMsg } from './protocol.ts';

const workerPath = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

export function spawnChildEngine(env: Record<string, string | undefined> = {}): EngineProcess {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fork(workerPath, [], {
    execArgv: ['--import', tsxLoader],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, ...env },
  });
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
