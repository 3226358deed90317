import { MODEL_CATALOG } from '../models/catalog.ts';
import type { DownloadManager } from '../models/download-manager.ts';
import { ModelFolderError } from '../models/model-folder.ts';
import { QuantizeError, type QuantizeManager } from '../models/quantize-manager.ts';
import { ServiceError, type ServiceContext } from '../service-context.ts';
import { userPath } from '../user-path.ts';
import type { CallHandlers } from './types.ts';

export function modelHandlers(
  ctx: ServiceContext,
  downloads: DownloadManager,
  quantizer: QuantizeManager,
): Pick<CallHandlers, 'models.list' | 'models.addLocal' | 'models.remove' | 'models.catalog' | 'models.download' | 'models.cancelDownload'
  | 'models.quantize' | 'models.cancelQuantize'> {
  return {
    async 'models.list'() {
      await ctx.models.refreshHubCache();
      return ctx.models.list();
    },
    async 'models.addLocal'({ path }) {
      try {
        return await ctx.models.add(userPath(path), 'local');
      } catch (err) {
        if (err instanceof ModelFolderError) throw new ServiceError('invalid_request', err.message);
        throw err;
      }
    },
    async 'models.remove'({ id }) {
      try {
        return { ok: await ctx.models.remove(id) };
      } catch (err) {
        throw new ServiceError('invalid_request', (err as Error).message);
      }
    },
    async 'models.catalog'() {
      return MODEL_CATALOG.map((m) => ({ ...m }));
    },
    async 'models.download'({ repo }) {
      return { downloadId: downloads.start(repo) };
    },
    async 'models.cancelDownload'({ downloadId }) {
      return { ok: downloads.cancel(downloadId) };
    },
    async 'models.quantize'({ id, method }) {
      try {
        return { jobId: quantizer.start(id, method) };
      } catch (err) {
        if (err instanceof QuantizeError) throw new ServiceError('invalid_request', err.message);
        throw err;
      }
    },
    async 'models.cancelQuantize'({ jobId }) {
      return { ok: quantizer.cancel(jobId) };
    },
  };
}
