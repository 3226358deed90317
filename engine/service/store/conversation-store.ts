// Conversations: one JSON file each (a write touches one small file). An assistant message still 'streaming' when the
// process died is marked 'stopped' on load: the kill lost at most that answer.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Conversation } from '../../../electron/contract.ts';
import { cleanTempFiles, readJsonOr, writeJsonAtomic } from './atomic-json.ts';
import { SerialQueue } from './serial-queue.ts';

export type ConversationSummary = Omit<Conversation, 'messages' | 'replaced'>;

export class ConversationStore {
  private cache = new Map<string, Conversation>();
  private queue = new SerialQueue();
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'conversations');
  }

  async load(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await cleanTempFiles(this.dir);
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json'));
    for (const name of names) {
      const conv = await readJsonOr<Conversation | null>(path.join(this.dir, name), Conversation, null);
      if (!conv) continue;
      let interrupted = false;
      for (const m of conv.messages) {
        if (m.status === 'streaming') {
          m.status = 'stopped';
          m.error = 'interrupted: the app was closed while this answer was being written';
          interrupted = true;
        }
      }
      this.cache.set(conv.id, conv);
      if (interrupted) await this.save(conv);
    }
  }

  get(id: string): Conversation | undefined {
    return this.cache.get(id);
  }

  listForVideo(videoId: string): ConversationSummary[] {
    return [...this.cache.values()]
      .filter((c) => c.videoId === videoId)
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .map(({ messages: _messages, replaced: _replaced, ...rest }) => rest);
  }

  latestForVideo(videoId: string): string | null {
    return this.listForVideo(videoId)[0]?.id ?? null;
  }

  async save(conv: Conversation): Promise<void> {
    this.cache.set(conv.id, conv);
    const snapshot = structuredClone(conv);
    await this.queue.run(conv.id, () => writeJsonAtomic(this.fileOf(conv.id), snapshot));
  }

  async remove(id: string): Promise<boolean> {
    const had = this.cache.delete(id);
    await this.queue.run(id, () => fs.rm(this.fileOf(id), { force: true }));
    return had;
  }

  async removeForVideo(videoId: string): Promise<void> {
    for (const c of this.listForVideo(videoId)) await this.remove(c.id);
  }

  private fileOf(id: string): string {
    // Ids are validated by the contract (no separators), so this stays inside the directory.
    return path.join(this.dir, `${id}.json`);
  }
}
