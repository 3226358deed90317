// Installed models, the download catalog, and downloads in flight (progress arrives as events).
import { useCallback, useEffect, useState } from 'react';
import type { CallRes, ModelInfo } from '../../../electron/contract.ts';
import { errorMessage } from '../lib/format.ts';
import { useApi } from './api.ts';
import { useToasts } from './toasts.tsx';
import type { DownloadProgress, QuantizeProgress } from './types.ts';

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
  /** Latest "Make a 4-bit copy" progress per source model id. */
  quantizing: Record<string, QuantizeProgress>;
  quantize(modelId: string, method: QuantizeProgress['method']): Promise<void>;
  cancelQuantize(modelId: string): Promise<void>;
}

export function useModels(): ModelsState {
  const api = useApi();
  const toasts = useToasts();
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [catalog, setCatalog] = useState<CatalogEntry[]>([]);
  const [downloads, setDownloads] = useState<ModelsState['downloads']>({});
  const [quantizing, setQuantizing] = useState<ModelsState['quantizing']>({});

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
    const offQuantize = api.on('models.quantizeProgress', (p) => {
      setQuantizing((q) => ({ ...q, [p.modelId]: p }));
      if (p.state === 'done') {
        toasts.push('info', `Made a 4-bit copy: ${p.model?.name ?? 'done'}.`);
        void refresh();
      } else if (p.state === 'error') {
        toasts.push('error', `The 4-bit copy failed: ${p.error ?? 'unknown error'}`);
      }
    });
    const offDownload = api.on('models.downloadProgress', (p) => {
      setDownloads((d) => ({ ...d, [p.repo]: p }));
      if (p.state === 'done') {
        toasts.push('info', `Downloaded ${p.repo}.`);
        void refresh();
      } else if (p.state === 'error') {
        toasts.push('error', `Download of ${p.repo} failed: ${p.error ?? 'unknown error'}`);
      }
    });
    return () => {
      offQuantize();
      offDownload();
    };
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

  const quantize = useCallback(
    async (modelId: string, method: QuantizeProgress['method']) => {
      try {
        const { jobId } = await api.call('models.quantize', { id: modelId, method });
        setQuantizing((q) => ({ ...q, [modelId]: { jobId, modelId, method, stage: 'starting', done: 0, total: 0, state: 'running' } }));
      } catch (e) {
        toasts.push('error', `4-bit copy: ${errorMessage(e)}`);
      }
    },
    [api, toasts],
  );

  const cancelQuantize = useCallback(
    async (modelId: string) => {
      const q = quantizing[modelId];
      if (!q) return;
      try {
        await api.call('models.cancelQuantize', { jobId: q.jobId });
      } catch (e) {
        toasts.push('error', `Cancel: ${errorMessage(e)}`);
      }
    },
    [api, quantizing, toasts],
  );

  return { models, catalog, downloads, refresh, addLocal, remove, download, cancel, quantizing, quantize, cancelQuantize };
}
