// Media the renderer loads by URL: the video files themselves (for the player, with HTTP Range) and thumbnails.
// URLs are origin-relative (/media/...), so they work in serve mode (HTTP) and in Electron (the sv:// protocol).
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { LibraryStore } from './store/library-store.ts';

const MIME: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.png': 'image/png',
};

export function mimeOf(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export const mediaUrls = {
  video: (videoId: string) => `/media/video/${videoId}`,
  thumb: (videoId: string, name: string) => `/media/thumb/${videoId}/${name}`,
};

export function thumbsDir(dataDir: string, videoId: string): string {
  return path.join(dataDir, 'thumbs', videoId);
}

const ID = /^[A-Za-z0-9._:-]{1,200}$/;
const THUMB = /^[A-Za-z0-9_-]{1,100}\.(jpg|webp|png)$/;

/** Maps a /media/... path to a file on disk, or null (unknown, malformed, or trying to escape). */
export function resolveMediaPath(pathname: string, dataDir: string, library: LibraryStore): string | null {
  const parts = pathname.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '\0';
    }
  });
  if (parts[0] !== 'media') return null;
  if (parts[1] === 'video' && parts.length === 3 && ID.test(parts[2])) {
    return library.get(parts[2])?.path ?? null;
  }
  if (parts[1] === 'thumb' && parts.length === 4 && ID.test(parts[2]) && THUMB.test(parts[3])) {
    return path.join(thumbsDir(dataDir, parts[2]), parts[3]);
  }
  return null;
}

export interface MediaResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable | null;
}

/** A file as an HTTP response, honouring a single `Range: bytes=a-b` (what video players send). */
export async function mediaResponse(file: string, rangeHeader: string | undefined | null): Promise<MediaResponse> {
  let size: number;
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return notFound();
    size = st.size;
  } catch {
    return notFound();
  }
  const base = { 'Content-Type': mimeOf(file), 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-cache' };
  const m = rangeHeader ? /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim()) : null;
  if (rangeHeader && m && (m[1] !== '' || m[2] !== '')) {
    let start: number;
    let end: number;
    if (m[1] === '') {
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || end < start) {
      return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: null };
    }
    return {
      status: 206,
      headers: { ...base, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(end - start + 1) },
      body: createReadStream(file, { start, end }),
    };
  }
  return { status: 200, headers: { ...base, 'Content-Length': String(size) }, body: size ? createReadStream(file) : null };
}

function notFound(): MediaResponse {
  return { status: 404, headers: { 'Content-Type': 'text/plain' }, body: null };
}
