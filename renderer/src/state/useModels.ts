// Installed models, the download catalog, and downloads in flight (progress arrives as events).
import { useCallback, useEffect, useState } from 'react';
import type { CallRes, ModelInfo } from '../../../electron/contract.ts';
import { errorMessage } from '../lib/format.ts';
import { useApi } from './api.ts';
import { useToasts } from './toasts.tsx';
import type { DownloadProgress } from './types.ts';

export type CatalogEntry = CallRes<'models.catalog'>[number];

export interface ModelsState {
  models: ModelInfo[];
  catalog: CatalogEntry[];
  /** Latest progress per repo. */
  downloads: Record<string, DownloadProgress & { downloadId: string }>;
  refresh(): Promise<void>;
  addLocal(path: string): Promise<ModelInfo>;
  remove(id: string): Promise<void>;
  download(repo: string): Promise<void>;
  cancel(repo: string): Promise<void>;
}

export function useModels(): ModelsState {
  const api = useApi();
  const toasts = useToasts();
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [catalog, setCatalog] = useState<CatalogEntry[]>([]);
  const [downloads, setDownloads] = useState<ModelsState['downloads']>({});

  const refresh = useCallback(async () => {
    try {
      setModels(await api.call('models.list', {}));
    } catch (e) {
      toasts.push('error', `Models: ${errorMessage(e)}`);
    }
  }, [api, toasts]);

  useEffect(() => {
    void refresh();
    api.call('models.catalog', {}).then(setCatalog, () => undefined);
    return api.on('models.downloadProgress', (p) => {
      setDownloads((d) => ({ ...d, [p.repo]: p }));
      if (p.state === 'done') {
        toasts.push('info', `Downloaded ${p.repo}.`);
        void refresh();
      } else if (p.state === 'error') {
        toasts.push('error', `Download of ${p.repo} failed: ${p.error ?? 'unknown error'}`);
      }
    });
  }, [api, refresh, toasts]);

  const addLocal = useCallback(
    async (path: string) => {
      const m = await api.call('models.addLocal', { path });
      await refresh();
      return m;
    },
    [api, refresh],
  );

  const remove = useCallback(
    async (id: string) => {
      try {
        await api.call('models.remove', { id });
        await refresh();
      } catch (e) {
        toasts.push('error', `Removing the model: ${errorMessage(e)}`);
      }
    },
    [api, refresh, toasts],
  );

  const download = useCallback(
    async (repo: string) => {
      try {
        const { downloadId } = await api.call('models.download', { repo });
        setDownloads((d) => ({
          ...d,
          [repo]: { downloadId, repo, file: '', receivedBytes: 0, totalBytes: 0, state: 'running' },
        }));
      } catch (e) {
        toasts.push('error', `Download: ${errorMessage(e)}`);
      }
    },
    [api, toasts],
  );

  const cancel = useCallback(
    async (repo: string) => {
      const d = downloads[repo];
      if (!d) return;
      try {
        await api.call('models.cancelDownload', { downloadId: d.downloadId });
      } catch (e) {
        toasts.push('error', `Cancel: ${errorMessage(e)}`);
      }
    },
    [api, downloads, toasts],
  );

  return { models, catalog, downloads, refresh, addLocal, remove, download, cancel };
}
