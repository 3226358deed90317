// The models the app can use: the embedded default (shipped under assets/models/), LLaVA-OneVision models in the
// Hugging Face cache (downloaded by the model manager or by Python tools), and folders the user picked. Only the
// user's entries (and the cached models they removed from the list) are persisted; the rest are found at start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ModelInfo } from '../../../electron/contract.ts';
import { readJsonOr, writeJsonAtomic } from '../store/atomic-json.ts';
import { SerialQueue } from '../store/serial-queue.ts';
import { findCachedHubModels } from './hub-cache.ts';
import { describeModelFolder, modelIdFor, type ModelFolderFacts } from './model-folder.ts';

const Entry = z.object({ source: z.enum(['local', 'downloaded']), path: z.string(), name: z.string().optional() });
const RegistryFile = z.object({
  version: z.literal(1),
  entries: z.array(Entry),
  /** Hub cache repo folders (models--org--name) the user removed from the list; the files stay in the cache. */
  hiddenHubRepos: z.array(z.string()).default([]),
});
type Entry = z.infer<typeof Entry>;

export class ModelRegistry {
  private facts = new Map<string, ModelFolderFacts>();
  private entries: Entry[] = [];
  private hiddenHubRepos: string[] = [];
  /** model id -> its hub cache repo folder, for the models found in the cache. */
  private hubRepoDirs = new Map<string, string>();
  private unusableSnapshots = new Set<string>();
  private queue = new SerialQueue();
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly embeddedDir: string | null,
    /** The Hugging Face hub cache the model manager reads and downloads into. */
    readonly hubCacheDir: string,
  ) {
    this.file = path.join(dataDir, 'models.json');
  }

  async load(): Promise<void> {
    this.facts.clear();
    for (const dir of this.embeddedFolders()) {
      try {
        const f = describeModelFolder(dir, 'embedded', { name: path.basename(dir), description: embeddedDescription(dir) });
        this.facts.set(f.info.id, f);
      } catch (err) {
        console.warn(`[models] embedded model ${dir} is unusable: ${(err as Error).message}`);
      }
    }
    const data = await readJsonOr(this.file, RegistryFile, { version: 1 as const, entries: [], hiddenHubRepos: [] });
    this.entries = data.entries;
    this.hiddenHubRepos = data.hiddenHubRepos;
    this.hubRepoDirs.clear();
    this.unusableSnapshots.clear();
    await this.refreshHubCache();
    for (const e of this.entries) {
      try {
        const f = describeModelFolder(e.path, e.source, { name: e.name });
        this.facts.set(f.info.id, f);
      } catch (err) {
        console.warn(`[models] ${e.path} is no longer usable: ${(err as Error).message}`);
      }
    }
  }

  /** Re-reads the hub cache: models fetched since (by Python tools too) appear, deleted ones go. A snapshot already
   *  described (or found unusable) is not read again. */
  async refreshHubCache(): Promise<void> {
    const seen = new Set<string>();
    for (const m of await this.cachedHubModels()) {
      if (this.hiddenHubRepos.includes(m.repoDir)) continue;
      const id = modelIdFor('downloaded', m.repoDir);
      if (this.facts.get(id)?.info.path === path.resolve(m.snapshotDir) || this.unusableSnapshots.has(m.snapshotDir)) {
        if (this.facts.has(id)) seen.add(id);
        continue;
      }
      try {
        this.setHubModel(m.repo, m.repoDir, m.snapshotDir);
        seen.add(id);
      } catch (err) {
        this.unusableSnapshots.add(m.snapshotDir);
        console.warn(`[models] ${m.repo} in the Hugging Face cache is unusable: ${(err as Error).message}`);
      }
    }
    for (const id of [...this.hubRepoDirs.keys()]) {
      if (seen.has(id)) continue;
      this.hubRepoDirs.delete(id);
      this.facts.delete(id);
    }
  }

  list(): ModelInfo[] {
    const order = { embedded: 0, downloaded: 1, local: 2 } as const;
    return [...this.facts.values()].map((f) => f.info).sort((a, b) => order[a.source] - order[b.source] || a.name.localeCompare(b.name));
  }

  get(id: string): ModelFolderFacts | undefined {
    return this.facts.get(id);
  }

  /** The model a conversation uses when its settings name none (or name one that is gone). */
  resolve(id: string | null): ModelFolderFacts | undefined {
    if (id && this.facts.has(id)) return this.facts.get(id);
    const all = this.list();
    return all[0] ? this.facts.get(all[0].id) : undefined;
  }

  /** Validates and adds a folder; throws ModelFolderError with the loader's message when it is not a usable model. */
  async add(dir: string, source: 'local' | 'downloaded', name?: string): Promise<ModelInfo> {
    const resolved = path.resolve(dir);
    const f = describeModelFolder(resolved, source, { name });
    this.facts.set(f.info.id, f);
    this.entries = this.entries.filter((e) => path.resolve(e.path) !== resolved).concat({ source, path: resolved, name });
    await this.save();
    return f.info;
  }

  /** Lists a snapshot the downloader just completed in the hub cache (shown again if the user had removed it). */
  async addHubSnapshot(repo: string, repoDir: string, snapshotDir: string): Promise<ModelInfo> {
    const info = this.setHubModel(repo, repoDir, snapshotDir);
    if (this.hiddenHubRepos.includes(repoDir)) {
      this.hiddenHubRepos = this.hiddenHubRepos.filter((d) => d !== repoDir);
      await this.save();
    }
    return info;
  }

  /** Forgets a model (never deletes the user's folder or cache). Embedded models cannot be removed. */
  async remove(id: string): Promise<boolean> {
    const f = this.facts.get(id);
    if (!f) return false;
    if (f.info.source === 'embedded') throw new Error('the embedded model ships with the app and cannot be removed');
    this.facts.delete(id);
    const repoDir = this.hubRepoDirs.get(id);
    if (repoDir) {
      this.hubRepoDirs.delete(id);
      this.hiddenHubRepos = [...this.hiddenHubRepos.filter((d) => d !== repoDir), repoDir];
    }
    this.entries = this.entries.filter((e) => path.resolve(e.path) !== f.info.path);
    await this.save();
    return true;
  }

  private setHubModel(repo: string, repoDir: string, snapshotDir: string): ModelInfo {
    const f = describeModelFolder(snapshotDir, 'downloaded', { name: repo, idFolder: repoDir });
    f.info.description = `${f.info.description}; in the Hugging Face cache (${repoDir})`;
    this.facts.set(f.info.id, f);
    this.hubRepoDirs.set(f.info.id, repoDir);
    return f.info;
  }

  private async cachedHubModels() {
    try {
      return await findCachedHubModels(this.hubCacheDir);
    } catch (err) {
      console.warn(`[models] cannot read the Hugging Face cache ${this.hubCacheDir}: ${(err as Error).message}`);
      return [];
    }
  }

  private embeddedFolders(): string[] {
    const root = this.embeddedDir;
    if (!root || !existsSync(root)) return [];
    return readdirSync(root)
      .map((n) => path.join(root, n))
      .filter((d) => statSync(d).isDirectory() && existsSync(path.join(d, 'config.json')));
  }

  private save(): Promise<void> {
    const snapshot = { version: 1 as const, entries: [...this.entries], hiddenHubRepos: [...this.hiddenHubRepos] };
    return this.queue.run('models', () => writeJsonAtomic(this.file, snapshot));
  }
}

function embeddedDescription(dir: string): string {
  return `The small model shipped with the app (${path.basename(dir)}), trained on synthetic videos of shapes and digits. It only understands that kind of video; add a real LLaVA-OneVision / LLaVA-Video model in the model manager.`;
}
