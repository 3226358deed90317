// The video library: every video the user opened, most recent first, persisted as one JSON file.
import path from 'node:path';
import { z } from 'zod';
import { VideoInfo } from '../../../electron/contract.ts';
import { cleanTempFiles, readJsonOr, writeJsonAtomic } from './atomic-json.ts';
import { SerialQueue } from './serial-queue.ts';
import { fileIdentity, FileIdentity } from './file-identity.ts';

/** files: the file each video's path named when it was opened (media is served only while it still does). */
const LibraryFile = z.object({ version: z.literal(1), videos: z.array(VideoInfo), files: z.record(z.string(), FileIdentity).optional() });

export class LibraryStore {
  private videos = new Map<string, VideoInfo>();
  private files = new Map<string, FileIdentity>();
  private queue = new SerialQueue();
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'library.json');
  }

  async load(): Promise<void> {
    await cleanTempFiles(path.dirname(this.file), path.basename(this.file));
    const data = await readJsonOr(this.file, LibraryFile, { version: 1 as const, videos: [] });
    this.videos = new Map(data.videos.map((v) => [v.id, v]));
    this.files = new Map(Object.entries(data.files ?? {}));
    // Entries from before identities were kept: the file the path names now.
    const missing = data.videos.filter((v) => !this.files.has(v.id));
    for (const v of missing) {
      const id = await fileIdentity(v.path);
      if (id) this.files.set(v.id, id);
    }
  }

  /** The file the video's path named when it was opened, or undefined. */
  identity(id: string): FileIdentity | undefined {
    return this.files.get(id);
  }

  get(id: string): VideoInfo | undefined {
    return this.videos.get(id);
  }

  recent(): VideoInfo[] {
    return [...this.videos.values()].sort((a, b) => b.lastOpenedAt - a.lastOpenedAt);
  }

  /** Adds or re-opens a video: its path's file now is the one media will serve. */
  async put(video: VideoInfo): Promise<void> {
    this.videos.set(video.id, video);
    const id = await fileIdentity(video.path);
    if (id) this.files.set(video.id, id);
    else this.files.delete(video.id);
    await this.save();
  }

  async patch(id: string, patch: Partial<VideoInfo>): Promise<VideoInfo | undefined> {
    const prev = this.videos.get(id);
    if (!prev) return undefined;
    const next = { ...prev, ...patch };
    this.videos.set(id, next);
    await this.save();
    return next;
  }

  async remove(id: string): Promise<boolean> {
    const had = this.videos.delete(id);
    this.files.delete(id);
    if (had) await this.save();
    return had;
  }

  private save(): Promise<void> {
    const snapshot = { version: 1 as const, videos: [...this.videos.values()], files: Object.fromEntries(this.files) };
    return this.queue.run('library', () => writeJsonAtomic(this.file, snapshot));
  }
}
