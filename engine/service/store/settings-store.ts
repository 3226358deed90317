// User settings: one JSON file, merged over the defaults so new settings get their default after an upgrade.
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SETTINGS, Settings } from '../../../electron/contract.ts';
import { cleanTempFiles, readJsonOr, writeJsonAtomic } from './atomic-json.ts';
import { SerialQueue } from './serial-queue.ts';

const StoredSettings = Settings.partial();

export class SettingsStore {
  private current: Settings = { ...DEFAULT_SETTINGS };
  private queue = new SerialQueue();
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
  }

  async load(): Promise<Settings> {
    await cleanTempFiles(path.dirname(this.file), path.basename(this.file));
    const stored = await readJsonOr(this.file, StoredSettings as z.ZodType<Partial<Settings>>, {});
    this.current = Settings.parse({ ...DEFAULT_SETTINGS, ...stored });
    return this.get();
  }

  get(): Settings {
    return { ...this.current };
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = Settings.parse({ ...this.current, ...patch });
    this.current = next;
    await this.queue.run('settings', () => writeJsonAtomic(this.file, next));
    return this.get();
  }
}
