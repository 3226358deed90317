// The video library: every video the user opened, most recent first, persisted as one JSON file.
import path from 'node:path';
import { z } from 'zod';
import { VideoInfo } from '../../../electron/contract.ts';
import { readJsonOr, writeJsonAtomic } from './atomic-json.ts';
import { SerialQueue } from './serial-queue.ts';

const LibraryFile = z.object({ version: z.literal(1), videos: z.array(VideoInfo) });

export class LibraryStore {
  private videos = new Map<string, VideoInfo>();
  private queue = new SerialQueue();
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'library.json');
  }

  async load(): Promise<void> {
    const data = await readJsonOr(this.file, LibraryFile, { version: 1 as const, videos: [] });
    this.videos = new Map(data.videos.map((v) => [v.id, v]));
  }

  get(id: string): VideoInfo | undefined {
    return this.videos.get(id);
  }

  recent(): VideoInfo[] {
    return [...this.videos.values()].sort((a, b) => b.lastOpenedAt - a.lastOpenedAt);
  }

  async put(video: VideoInfo): Promise<void> {
    this.videos.set(video.id, video);
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
    if (had) await this.save();
    return had;
  }

  private save(): Promise<void> {
    const snapshot = { version: 1 as const, videos: [...this.videos.values()] };
    return this.queue.run('library', () => writeJsonAtomic(this.file, snapshot));
  }
}
