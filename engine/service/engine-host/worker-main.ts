// Entry of the engine process. Runs as a Node child process (serve mode; process.send) or as an Electron
// utilityProcess (desktop; process.parentPort). Everything heavy (model, video decode, native kernels) lives here so
// that a crash takes down only this process.
import type { EngineChannel, EngineToHostMsg } from './protocol.ts';
import { EngineWorker } from './engine-worker.ts';
import { createEngineHandlers, detectEngine } from './engine-ops.ts';

interface ParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

function makeChannel(): EngineChannel {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      post: (msg: EngineToHostMsg) => parentPort.postMessage(msg),
      onRequest: (listener) => parentPort.on('message', (e) => listener(e.data)),
    };
  }
  if (typeof process.send === 'function') {
    process.on('disconnect', () => process.exit(0));
    return {
      post: (msg: EngineToHostMsg) => process.send?.(msg),
      onRequest: (listener) => process.on('message', (m) => listener(m)),
    };
  }
  throw new Error('worker-main must be started by the engine host (no IPC channel)');
}

const worker = new EngineWorker(makeChannel(), createEngineHandlers());
worker.start(detectEngine).catch((err: Error) => {
  console.error(`[engine] failed to start: ${err.stack ?? err.message}`);
  process.exit(1);
});
