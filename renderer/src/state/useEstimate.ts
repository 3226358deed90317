// Memory estimate for the next turn with the current settings, refreshed (debounced) when they change.
import type { MemoryEstimate, Settings } from '../../../electron/contract.ts';
import { useDebouncedCall } from './useDebouncedCall.ts';

/** `version` (turns finished) refreshes it too: after a turn the engine holds the model, which changes the figures.
 *  Before the open video has a conversation, the estimate is for that video with these settings. */
export function useEstimate(conversationId: string | null, settings: Settings | null, version = 0, videoId: string | null = null): MemoryEstimate | null {
  const req = settings && conversationId ? { conversationId, settings } : settings && videoId ? { videoId, settings } : null;
  return useDebouncedCall('chat.estimate', req, JSON.stringify([req, version]));
}
