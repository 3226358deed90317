import type { ServiceContext } from '../service-context.ts';
import type { CallHandlers } from './types.ts';

export function appHandlers(ctx: ServiceContext): Pick<CallHandlers, 'app.info' | 'settings.get' | 'settings.set' | 'engine.status'> {
  return {
    async 'app.info'() {
      return { version: ctx.version, platform: process.platform, serveMode: ctx.serveMode, engine: ctx.engine.status() };
    },
    async 'settings.get'() {
      return ctx.settings.get();
    },
    async 'settings.set'(patch) {
      return ctx.settings.update(patch);
    },
    async 'engine.status'() {
      return ctx.engine.status();
    },
  };
}
