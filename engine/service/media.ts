// Media the renderer loads by URL: the video files themselves (for the player, with HTTP Range) and thumbnails.
// URLs are origin-relative (/media/...), so they work in serve mode (HTTP) and in Electron (the sv:// protocol).
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { LibraryStore } from './store/library-store.ts';
import { identityOf, sameFile, type FileIdentity } from './store/file-identity.ts';

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

/** Maps a /media/... path to a file on disk (and, for a video, the file it was when opened), or null (unknown,
 *  malformed, or trying to escape). */
export function resolveMediaPath(pathname: string, dataDir: string, library: LibraryStore): { file: string; opened?: FileIdentity | null } | null {
  const parts = pathname.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '\0';
    }
  });
  if (parts[0] !== 'media') return null;
  if (parts[1] === 'video' && parts.length === 3 && ID.test(parts[2])) {
    const file = library.get(parts[2])?.path;
    return file ? { file, opened: library.identity(parts[2]) ?? null } : null;
  }
  if (parts[1] === 'thumb' && parts.length === 4 && ID.test(parts[2]) && THUMB.test(parts[3])) {
    return { file: path.join(thumbsDir(dataDir, parts[2]), parts[3]) };
  }
  return null;
}

export interface MediaResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable | null;
}

/** A /media/... path as a response: 404 for anything unknown, 409 for a video whose path no longer names the file
 *  that was opened (checked on the open file itself, so a swap after the check cannot slip through). */
export async function serveMedia(pathname: string, range: string | undefined | null, dataDir: string, library: LibraryStore): Promise<MediaResponse> {
  const target = resolveMediaPath(pathname, dataDir, library);
  if (!target) return notFound();
  if (target.opened === null) return plainText(409, `the library has no record of which file ${target.file} was when it was opened; open it again`);
  return mediaResponse(target.file, range, target.opened);
}

/** A file as an HTTP response, honouring a single `Range: bytes=a-b` (what video players send). With `expect`, only
 *  while the file is still that one. */
export async function mediaResponse(file: string, rangeHeader: string | undefined | null, expect?: FileIdentity): Promise<MediaResponse> {
  const opened = await openFile(file, expect);
  if ('status' in opened) return opened;
  const { handle, size } = opened;
  const base = { 'Content-Type': mimeOf(file), 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-cache' };
  const stream = (start: number, end: number) => handle.createReadStream({ start, end });
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
      await handle.close();
      return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: null };
    }
    return {
      status: 206,
      headers: { ...base, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(end - start + 1) },
      body: stream(start, end),
    };
  }
  if (size === 0) await handle.close();
  return { status: 200, headers: { ...base, 'Content-Length': String(size) }, body: size ? stream(0, size - 1) : null };
}

/** The file opened for reading, if it is a regular file (and the expected one). Opened non-blocking so a path that
 *  now names a FIFO cannot hang the request. */
async function openFile(file: string, expect?: FileIdentity): Promise<{ handle: FileHandle; size: number } | MediaResponse> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return notFound();
  }
  let refusal: MediaResponse;
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile()) refusal = notFound();
    else if (expect && !sameFile(identityOf(st), expect)) {
      refusal = plainText(409, `${file} is no longer the video that was opened (it was replaced or now points elsewhere); open it again`);
    } else return { handle, size: Number(st.size) };
  } catch {
    refusal = notFound();
  }
  await handle.close();
  return refusal;
}

function notFound(): MediaResponse {
  return plainText(404, 'not found');
}

function plainText(status: number, text: string): MediaResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: Readable.from([text]) };
}
