// Progress for the CLI's stderr: redrawn in place (\r) on a terminal; whole lines when it is a file or a pipe (logs,
// CI), so nothing arrives as one long \r-joined line: the first and last step of a stage, and at most one a second.
export interface ProgressWriter {
  progress(label: string, done: number, total: number): void;
  /** A whole line (ending in a newline); a progress line being redrawn is ended first. */
  line(text: string): void;
}

export function progressWriter(stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr, now = () => Date.now()): ProgressWriter {
  let redrawing = false;
  let lastLine = -Infinity;
  return {
    progress(label, done, total) {
      if (stream.isTTY) {
        stream.write(`\r${label} ${done}/${total}`);
        redrawing = true;
        return;
      }
      const t = now();
      if (done > 0 && done < total && t - lastLine < 1000) return;
      lastLine = t;
      stream.write(`${label} ${done}/${total}\n`);
    },
    line(text) {
      if (redrawing) stream.write('\n');
      redrawing = false;
      stream.write(text);
    },
  };
}
