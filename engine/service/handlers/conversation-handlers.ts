import { randomUUID } from 'node:crypto';
import type { Conversation } from '../../../electron/contract.ts';
import { ServiceError, type ServiceContext } from '../service-context.ts';
import type { CallHandlers } from './types.ts';

export function conversationHandlers(
  ctx: ServiceContext,
): Pick<CallHandlers, 'conversations.list' | 'conversations.get' | 'conversations.create' | 'conversations.delete'> {
  return {
    async 'conversations.list'({ videoId }) {
      return ctx.conversations.listForVideo(videoId);
    },
    async 'conversations.get'({ id }) {
      const c = ctx.conversations.get(id);
      if (!c) throw new ServiceError('not_found', `no conversation with id ${id}`);
      return c;
    },
    async 'conversations.create'({ videoId }) {
      const video = ctx.library.get(videoId);
      if (!video) throw new ServiceError('not_found', `no video with id ${videoId}; open it first`);
      const now = Date.now();
      const conv: Conversation = {
        id: `c-${randomUUID()}`,
        videoId,
        title: `${video.name} — ${new Date(now).toISOString().slice(0, 16).replace('T', ' ')}`,
        createdAt: now,
        updatedAt: now,
        settings: ctx.settings.get(),
        messages: [],
      };
      await ctx.conversations.save(conv);
      await ctx.library.patch(videoId, { lastConversationId: conv.id });
      return conv;
    },
    async 'conversations.delete'({ id }) {
      const conv = ctx.conversations.get(id);
      const ok = await ctx.conversations.remove(id);
      await ctx.inspector.removeConversation(id);
      if (conv) {
        await ctx.library.patch(conv.videoId, { lastConversationId: ctx.conversations.latestForVideo(conv.videoId) });
      }
      await ctx.engine.request('drop', { sessionId: id }).catch(() => undefined);
      return { ok };
    },
  };
}
