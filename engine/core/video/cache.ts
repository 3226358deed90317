// On-disk cache of sampled videos, the one place the app's filmstrip and the engine's model input both read: an entry
// per (file identity, sampling, preprocessing) holds the model-sized 8-bit frames (4x smaller than the float pixel
// values, which are rebuilt on load), the sampled frame indices and times, the probe and the filmstrip thumbnails.
// Entries are written to a temp dir and renamed into place, so the app service and the engine process can share it.
// Policy: least recently used entries go once the cache exceeds its byte bound; an entry whose file changed (size,
// mtime or inode) is never served (the key differs) and is deleted when the file's new version is cached; entries of
// an older cache format and scratch dirs left by a killed process are deleted whenever an entry is written.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VideoProbe } from './probe.ts';

export const CACHE_FORMAT_VERSION = 2;

/** SPARSEVILA_VIDEO_CACHE, else the OS cache folder: the app service and the engine process resolve the same one. */
export function defaultVideoCacheDir(): string {
  if (process.env.SPARSEVILA_VIDEO_CACHE) return path.resolve(process.env.SPARSEVILA_VIDEO_CACHE);
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'sparsevila', 'Cache', 'video');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'sparsevila', 'video');
  return path.join(process.env.XDG_CACHE_HOME || path.join(home, '.cache'), 'sparsevila', 'video');
}

export interface CacheIdentity {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
  inode: number;
}

/** The file's identity now, or null when it cannot be read (the probe then says why). */
export function fileIdentity(file: string): CacheIdentity | null {
  try {
    const s = statSync(file);
    return s.isFile() ? { path: path.resolve(file), sizeBytes: s.size, mtimeMs: s.mtimeMs, inode: s.ino } : null;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

function sameVersion(a: CacheIdentity, b: CacheIdentity): boolean {
  return a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.inode === b.inode;
}

export function cacheKey(id: CacheIdentity, sampling: unknown, preprocessing: string, extra: unknown): string {
  const text = JSON.stringify([CACHE_FORMAT_VERSION, path.resolve(id.path), id.sizeBytes, id.mtimeMs, id.inode, sampling, preprocessing, extra]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export interface CacheEntryMeta {
  identity: CacheIdentity;
  probe: VideoProbe;
  frames: number;
  width: number;
  height: number;
  frameTimes: number[];
  frameIndices: number[];
  /** Positions of the sampled frames the file could not supply (cut off); each repeats the last frame that decoded. */
  missing: number[];
  /** Distinct sampled frame numbers the file could not supply. */
  missingFrames: number;
  /** Width of the stored thumbnails (0: none), how many there are (one per distinct frame) and which is whose. */
  thumbWidth: number;
  thumbnails: number;
  thumbForFrame: number[];
}

export interface CachedEntry {
  dir: string;
  meta: CacheEntryMeta;
  thumbnailPaths: string[];
  /** Packed RGB frames, [frames, height, width, 3], read on demand (the filmstrip never needs them). */
  readRgb(): Uint8Array;
}

const RGB = 'frames.rgb';
const META = 'meta.json';

export class VideoCache {
  constructor(readonly root: string) {}

  entryDir(key: string): string {
    return path.join(this.root, key);
  }

  /** A fresh scratch dir inside the cache root (same filesystem, so commit() can rename it). */
  scratchDir(key: string): string {
    const dir = path.join(this.root, `.tmp-${key}-${process.pid}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  load(key: string): CachedEntry | null {
    const dir = this.entryDir(key);
    try {
      const meta = JSON.parse(readFileSync(path.join(dir, META), 'utf8')) as CacheEntryMeta;
      const rgbBytes = meta.frames * meta.width * meta.height * 3;
      if (meta.frameTimes.length !== meta.frames || statSync(path.join(dir, RGB)).size !== rgbBytes) return null;
      const stored = Array.from({ length: meta.thumbnails }, (_, k) => path.join(dir, 'thumbs', `${k}.jpg`));
      if (!stored.every((p) => existsSync(p))) return null;
      const thumbnailPaths = meta.thumbnails > 0 ? meta.thumbForFrame.map((k) => stored[k]) : [];
      const now = new Date();
      utimesSync(path.join(dir, META), now, now); // recency for pruning
      const readRgb = () => {
        const rgb = new Uint8Array(readFileSync(path.join(dir, RGB)));
        if (rgb.length !== rgbBytes) throw new Error(`video cache entry ${dir} changed while it was read`);
        return rgb;
      };
      return { dir, meta, thumbnailPaths, readRgb };
    } catch {
      return null;
    }
  }

  /**
   * Moves a filled scratch dir (with thumbs/ inside, if any) into place as the entry for `key`, and deletes the
   * entries of older versions of the same file. When another process committed the same key first, its entry stays.
   */
  commit(key: string, scratch: string, meta: CacheEntryMeta, rgb: Uint8Array): string {
    writeFileSync(path.join(scratch, RGB), rgb);
    writeFileSync(path.join(scratch, META), JSON.stringify(meta));
    const dir = this.entryDir(key);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(scratch, dir);
    } catch (err) {
      if (!this.load(key)) throw err;
      this.discard(scratch);
    }
    this.dropStale(meta.identity);
    return dir;
  }

  discard(scratch: string): void {
    rmSync(scratch, { recursive: true, force: true });
  }

  private entries(): { name: string; dir: string }[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter((n) => !n.startsWith('.tmp-')).map((name) => ({ name, dir: path.join(this.root, name) }));
  }

  /**
   * Deletes the entries made from another version (size, mtime, inode) of this file, entries of an older cache format
   * (they cannot be served), and scratch dirs whose process is gone (killed mid-decode).
   */
  dropStale(id: CacheIdentity): void {
    for (const e of this.entries()) {
      try {
        const other = (JSON.parse(readFileSync(path.join(e.dir, META), 'utf8')) as Partial<CacheEntryMeta>).identity;
        if (!other || (other.path === id.path && !sameVersion(other, id))) rmSync(e.dir, { recursive: true, force: true });
      } catch {
        // unreadable entries are left to prune()
      }
    }
    if (!existsSync(this.root)) return;
    for (const name of readdirSync(this.root)) {
      const pid = /^\.tmp-[0-9a-f]+-(\d+)-\d+$/.exec(name)?.[1];
      if (pid && !processAlive(Number(pid))) rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  /** Deletes least recently used entries until the cache holds at most `maxBytes`; never the entry `keep`. */
  prune(maxBytes: number, keep?: string): void {
    const sized = this.entries()
      .map(({ name, dir }) => {
        try {
          const used = statSync(path.join(dir, META)).mtimeMs;
          let bytes = statSync(path.join(dir, RGB)).size;
          const thumbs = path.join(dir, 'thumbs');
          if (existsSync(thumbs)) for (const t of readdirSync(thumbs)) bytes += statSync(path.join(thumbs, t)).size;
          return { name, dir, used, bytes };
        } catch {
          return { name, dir, used: 0, bytes: 0 };
        }
      })
      .sort((a, b) => b.used - a.used);
    let total = 0;
    for (const e of sized) {
      total += e.bytes;
      if (total > maxBytes && e.name !== keep) rmSync(e.dir, { recursive: true, force: true });
    }
  }
}
