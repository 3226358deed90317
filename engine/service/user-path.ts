// Paths the user types or pastes: "~" and "~/…" mean their home folder (as in a shell), and surrounding quotes
// (copied from a file manager or a terminal) are dropped.
import os from 'node:os';
import path from 'node:path';

export function userPath(typed: string): string {
  let p = typed.trim();
  if (p.length >= 2 && (p[0] === '"' || p[0] === "'") && p.at(-1) === p[0]) p = p.slice(1, -1);
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(p);
}
