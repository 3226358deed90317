// Memory estimate for the next turn with the current settings, refreshed (debounced) when they change.
import { useEffect, useState } from 'react';
import type { MemoryEstimate, Settings } from '../../../electron/contract.ts';
import { useApi } from './api.ts';

/** `version` (turns finished) refreshes it too: after a turn the engine holds the model, which changes the figures. */
export function useEstimate(conversationId: string | null, settings: Settings | null, version = 0): MemoryEstimate | null {
  const api = useApi();
  const [est, setEst] = useState<MemoryEstimate | null>(null);
  const key = settings ? JSON.stringify(settings) : '';
  useEffect(() => {
    if (!conversationId || !settings) {
      setEst(null);
      return;
    }
    let alive = true;
    const t = window.setTimeout(() => {
      api.call('chat.estimate', { conversationId, settings }).then(
        (e) => alive && setEst(e),
        () => alive && setEst(null),
      );
    }, 250);
    return () => {
      alive = false;
      window.clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for settings
  }, [api, conversationId, key, version]);
  return est;
}
