// The desktop app's engine host: the engine runs in an Electron utilityProcess (its own OS process), so a crash in
// native code or an out-of-memory kill there leaves the window alive; EngineHost restarts it.
import { utilityProcess } from 'electron';
import path from 'node:path';
import type { EngineProcess, HostToEngineMsg } from '../engine/service/engine-host/protocol.ts';
import { ProcessOutput } from '../engine/service/engine-host/process-output.ts';

export function spawnUtilityEngine(env: Record<string, string>): EngineProcess {
  const child = utilityProcess.fork(path.join(__dirname, 'engine.cjs'), [], {
    serviceName: 'SparseVILA engine',
    stdio: 'pipe',
    env: { ...process.env, ...env },
  });
  const output = new ProcessOutput(child);
  let exited = false;
  return {
    get pid() {
      return child.pid;
    },
    send(msg: HostToEngineMsg) {
      if (exited) throw new Error('engine process is not running');
      child.postMessage(msg);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onOutput(listener) {
      output.onLine(listener);
    },
    onExit(listener) {
      child.on('exit', (code) => {
        exited = true;
        listener(code, `exit code ${code}`);
      });
    },
    kill() {
      if (!exited) child.kill();
    },
  };
}
