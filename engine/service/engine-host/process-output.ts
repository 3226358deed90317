// The engine process's stdout and stderr, as they come: passed through to this process's own streams (so a terminal
// still shows them) and split into lines for listeners (the log file).
import { createInterface } from 'node:readline';

export type OutputListener = (stream: 'stdout' | 'stderr', line: string) => void;

export class ProcessOutput {
  private listeners: OutputListener[] = [];

  constructor(
    streams: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null },
    passThrough: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
  ) {
    for (const name of ['stdout', 'stderr'] as const) {
      const input = streams[name];
      if (!input) continue;
      input.on('data', (chunk: Buffer | string) => passThrough[name].write(chunk));
      createInterface({ input, crlfDelay: Infinity }).on('line', (line) => {
        for (const l of this.listeners) l(name, line);
      });
    }
  }

  onLine(listener: OutputListener): void {
    this.listeners.push(listener);
  }
}
