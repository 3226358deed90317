import type { Conversation, EventPayload } from '../../../electron/contract.ts';

export type ConversationSummary = Omit<Conversation, 'messages' | 'replaced'>;
export type ChatProgress = EventPayload<'chat.progress'>;
export type DownloadProgress = EventPayload<'models.downloadProgress'>;
export type QuantizeProgress = EventPayload<'models.quantizeProgress'>;
