// On-disk cache of prepared videos, keyed by (file identity, sampling, preprocessing), so reopening a video skips
// decoding. An entry holds the model-sized 8-bit frames (4x smaller than the float pixel values, which are rebuilt on
// load), the frame times and the thumbnails. Entries are written to a temp dir and renamed into place.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CACHE_FORMAT_VERSION = 1;

export function defaultVideoCacheDir(): string {
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

export function cacheKey(id: CacheIdentity, sampling: unknown, preprocessing: string, extra: unknown): string {
  const text = JSON.stringify([CACHE_FORMAT_VERSION, path.resolve(id.path), id.sizeBytes, id.mtimeMs, id.inode, sampling, preprocessing, extra]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export interface CacheEntryMeta {
  frames: number;
  width: number;
  height: number;
  frameTimes: number[];
  frameIndices: number[];
  /** Thumbnail files stored (one per distinct frame) and which one belongs to each sampled frame. */
  thumbnails: number;
  thumbForFrame: number[];
  [k: string]: unknown;
}

export interface CachedEntry {
  dir: string;
  meta: CacheEntryMeta;
  /** Packed RGB frames, [frames, height, width, 3]. */
  rgb: Uint8Array;
  thumbnailPaths: string[];
}

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
      const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as CacheEntryMeta;
      const rgb = new Uint8Array(readFileSync(path.join(dir, 'frames.rgb')));
      if (rgb.length !== meta.frames * meta.width * meta.height * 3) return null;
      const stored = Array.from({ length: meta.thumbnails }, (_, k) => path.join(dir, 'thumbs', `${k}.jpg`));
      if (!stored.every((p) => existsSync(p))) return null;
      const thumbnailPaths = meta.thumbnails > 0 ? meta.thumbForFrame.map((k) => stored[k]) : [];
      const now = new Date();
      utimesSync(path.join(dir, 'meta.json'), now, now); // recency for pruning
      return { dir, meta, rgb, thumbnailPaths };
    } catch {
      return null;
    }
  }

  /** Moves a filled scratch dir (with thumbs/ inside, if any) into place as the entry for `key`. */
  commit(key: string, scratch: string, meta: CacheEntryMeta, rgb: Uint8Array): string {
    writeFileSync(path.join(scratch, 'frames.rgb'), rgb);
    writeFileSync(path.join(scratch, 'meta.json'), JSON.stringify(meta));
    const dir = this.entryDir(key);
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    return dir;
  }

  discard(scratch: string): void {
    rmSync(scratch, { recursive: true, force: true });
  }

  /** Deletes least recently used entries until the cache holds at most `maxBytes`; never the entry `keep`. */
  prune(maxBytes: number, keep?: string): void {
    if (!existsSync(this.root)) return;
    const entries = readdirSync(this.root)
      .filter((n) => !n.startsWith('.tmp-'))
      .map((n) => {
        const dir = path.join(this.root, n);
        try {
          const used = statSync(path.join(dir, 'meta.json')).mtimeMs;
          let bytes = statSync(path.join(dir, 'frames.rgb')).size;
          const thumbs = path.join(dir, 'thumbs');
          if (existsSync(thumbs)) for (const t of readdirSync(thumbs)) bytes += statSync(path.join(thumbs, t)).size;
          return { dir, used, bytes };
        } catch {
          return { dir, used: 0, bytes: 0 };
        }
      })
      .sort((a, b) => b.used - a.used);
    let total = 0;
    for (const e of entries) {
      total += e.bytes;
      if (total > maxBytes && path.basename(e.dir) !== keep) rmSync(e.dir, { recursive: true, force: true });
    }
  }
}
