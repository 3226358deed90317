// JSON files that survive a kill at any instant: write a temp file in the same directory, fsync it, rename it over
// the target (atomic on POSIX and NTFS), then fsync the directory so the rename itself is durable.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value, null, 1));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on Windows; durability of the rename is best-effort there.
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads and validates a JSON file. Missing file -> fallback. A corrupt or invalid file is moved aside
 * (`<name>.corrupt-<time>`) so the app starts with the fallback instead of failing forever, and the reason is logged.
 */
export async function readJsonOr<T>(file: string, schema: z.ZodType<T>, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  let reason: string;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    reason = parsed.error.issues[0]?.message ?? 'invalid';
  } catch (err) {
    reason = (err as Error).message;
  }
  const aside = `${file}.corrupt-${Date.now()}`;
  await fs.rename(file, aside).catch(() => undefined);
  console.warn(`[store] ${file} was unreadable (${reason}); moved to ${aside} and starting fresh`);
  return fallback;
}

/** Removes temp files a killed writer left behind (`.<name>.<pid>.<hex>.tmp`, of `baseName` only when given). A file
 *  whose writer is still running (another process sharing the data folder) is kept: its rename is still to come. */
export async function cleanTempFiles(dir: string, baseName?: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const stale = names.filter((n) => {
    const m = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/.exec(n);
    return m !== null && (baseName === undefined || m[1] === baseName) && !processAlive(Number(m[2]));
  });
  await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { force: true })));
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
