// Runs hub downloads (into the Hugging Face cache) in the background for the model manager: one at a time per repo,
// progress as contract events, cancel by id; a finished download is validated and added to the registry.
import { randomUUID } from 'node:crypto';
import type { EventPayload } from '../../../electron/contract.ts';
import { downloadHubRepo, hubRepoFolder } from './hf-download.ts';
import type { ModelRegistry } from './registry.ts';

type Progress = EventPayload<'models.downloadProgress'>;

export class DownloadManager {
  private running = new Map<string, { repo: string; abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly emit: (p: Progress) => void,
    private readonly endpoint?: string,
  ) {}

  start(repo: string): string {
    for (const [id, d] of this.running) if (d.repo === repo) return id;
    const downloadId = `d-${randomUUID()}`;
    const abort = new AbortController();
    let last: Progress = { downloadId, repo, file: '', receivedBytes: 0, totalBytes: 0, state: 'running' };
    const done = (async () => {
      try {
        const { snapshotDir } = await downloadHubRepo(repo, {
          endpoint: this.endpoint,
          cacheDir: this.registry.hubCacheDir,
          signal: abort.signal,
          onProgress: (p) => {
            last = { downloadId, repo, file: p.file, receivedBytes: p.receivedBytes, totalBytes: p.totalBytes, state: p.state === 'done' ? 'verifying' : p.state };
            this.emit(last);
          },
        });
        await this.registry.addHubSnapshot(repo, hubRepoFolder(this.registry.hubCacheDir, repo), snapshotDir);
        this.emit({ ...last, state: 'done' });
      } catch (err) {
        if (abort.signal.aborted) this.emit({ ...last, state: 'cancelled' });
        else this.emit({ ...last, state: 'error', error: (err as Error).message });
      } finally {
        this.running.delete(downloadId);
      }
    })();
    this.running.set(downloadId, { repo, abort, done });
    return downloadId;
  }

  cancel(downloadId: string): boolean {
    const d = this.running.get(downloadId);
    if (!d) return false;
    d.abort.abort();
    return true;
  }

  async close(): Promise<void> {
    const all = [...this.running.values()];
    for (const d of all) d.abort.abort();
    await Promise.all(all.map((d) => d.done));
  }
}
