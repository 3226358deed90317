// Inspector data per conversation turn (frames, retained and retrieved indices, stats), one file per turn so a long
// conversation never rewrites earlier turns.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InspectorTurn } from '../../../electron/contract.ts';
import { readJsonOr, writeJsonAtomic } from './atomic-json.ts';

/** File name prefix of the turns an edit or regenerate set aside (for its undo). */
const ASIDE = 'replaced-';

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

  /** Drops turns >= fromTurn. */
  async truncate(conversationId: string, fromTurn: number): Promise<void> {
    await this.dropTurns(conversationId, '', fromTurn);
  }

  /** Sets turns >= fromTurn aside (an edit or regenerate replaced them), dropping what was set aside before. */
  async setAside(conversationId: string, fromTurn: number): Promise<void> {
    await this.dropTurns(conversationId, ASIDE, 0);
    for (const turn of await this.turnsFrom(conversationId, '', fromTurn)) {
      await fs.rename(this.fileOf(conversationId, turn), this.fileOf(conversationId, turn, ASIDE));
    }
  }

  /** Undoes setAside: turns >= fromTurn written since are dropped and the ones set aside come back. */
  async restoreAside(conversationId: string, fromTurn: number): Promise<void> {
    await this.dropTurns(conversationId, '', fromTurn);
    for (const turn of await this.turnsFrom(conversationId, ASIDE, 0)) {
      await fs.rename(this.fileOf(conversationId, turn, ASIDE), this.fileOf(conversationId, turn));
    }
  }

  private async turnsFrom(conversationId: string, prefix: string, fromTurn: number): Promise<number[]> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.dir, conversationId));
    } catch {
      return [];
    }
    const re = new RegExp(`^${prefix}turn-(\\d+)\\.json$`);
    return names.map((n) => re.exec(n)).filter((m) => m !== null && Number(m[1]) >= fromTurn).map((m) => Number(m![1]));
  }

  private async dropTurns(conversationId: string, prefix: string, fromTurn: number): Promise<void> {
    for (const turn of await this.turnsFrom(conversationId, prefix, fromTurn)) await fs.rm(this.fileOf(conversationId, turn, prefix), { force: true });
  }

  async removeConversation(conversationId: string): Promise<void> {
    await fs.rm(path.join(this.dir, conversationId), { recursive: true, force: true });
  }

  private fileOf(conversationId: string, turn: number, prefix = ''): string {
    return path.join(this.dir, conversationId, `${prefix}turn-${turn}.json`);
  }
}
