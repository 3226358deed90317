import { mkdir } from 'node:fs/promises';
import { logsDir } from '../log-files.ts';
import { ServiceError, type ServiceContext } from '../service-context.ts';
import { checkFfmpegSetting } from './ffmpeg-setting.ts';
import type { CallHandlers } from './types.ts';

export function appHandlers(
  ctx: ServiceContext,
): Pick<CallHandlers, 'app.info' | 'settings.get' | 'settings.set' | 'engine.status' | 'app.openLogs'> {
  return {
    async 'app.info'() {
      return { version: ctx.version, platform: process.platform, serveMode: ctx.serveMode, engine: ctx.engine.status() };
    },
    async 'settings.get'() {
      return ctx.settings.get();
    },
    async 'settings.set'(patch) {
      if (patch.ffmpegPath !== undefined) await checkFfmpegSetting(patch.ffmpegPath);
      return ctx.settings.update(patch);
    },
    async 'engine.status'() {
      return ctx.engine.status();
    },
    async 'app.openLogs'() {
      const dir = logsDir(ctx.dataDir);
      await mkdir(dir, { recursive: true });
      if (!ctx.openFolder) return { path: dir, opened: false };
      try {
        await ctx.openFolder(dir);
      } catch (err) {
        throw new ServiceError('invalid_request', `could not open the logs folder ${dir}: ${(err as Error).message}`);
      }
      return { path: dir, opened: true };
    },
  };
}
