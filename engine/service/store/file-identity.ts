// Which file a path names now (device, inode, size), to tell later whether it is still the same file: a path the
// library stored may since point elsewhere (a swapped symlink, a replaced file).
import { promises as fs, type BigIntStats } from 'node:fs';
import { z } from 'zod';

export const FileIdentity = z.object({ dev: z.string(), ino: z.string(), size: z.number() });
export type FileIdentity = z.infer<typeof FileIdentity>;

export function identityOf(st: BigIntStats): FileIdentity {
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size) };
}

/** The identity of the file `file` resolves to now, or null when it cannot be read. */
export async function fileIdentity(file: string): Promise<FileIdentity | null> {
  try {
    return identityOf(await fs.stat(file, { bigint: true }));
  } catch {
    return null;
  }
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size;
}
