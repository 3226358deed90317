// Inspector data per conversation turn (frames, retained and retrieved indices, stats), one file per turn so a long
// conversation never rewrites earlier turns.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InspectorTurn } from '../../../electron/contract.ts';
import { readJsonOr, writeJsonAtomic } from './atomic-json.ts';

export class InspectorStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'inspector');
  }

  async get(conversationId: string, turn: number): Promise<InspectorTurn | null> {
    return readJsonOr<InspectorTurn | null>(this.fileOf(conversationId, turn), InspectorTurn, null);
  }

  async put(conversationId: string, data: InspectorTurn): Promise<void> {
    await writeJsonAtomic(this.fileOf(conversationId, data.turn), data);
  }

  /** Drops turns >= fromTurn (after an edit or regenerate replaced them). */
  async truncate(conversationId: string, fromTurn: number): Promise<void> {
    const dir = path.join(this.dir, conversationId);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = /^turn-(\d+)\.json$/.exec(n);
      if (m && Number(m[1]) >= fromTurn) await fs.rm(path.join(dir, n), { force: true });
    }
  }

  async removeConversation(conversationId: string): Promise<void> {
    await fs.rm(path.join(this.dir, conversationId), { recursive: true, force: true });
  }

  private fileOf(conversationId: string, turn: number): string {
    return path.join(this.dir, conversationId, `turn-${turn}.json`);
  }
}
