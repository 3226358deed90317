// Loads what the inspector draws for one turn; cached per conversation and invalidated when turns change.
import { useEffect, useState } from 'react';
import type { InspectorTurn } from '../../../electron/contract.ts';
import { errorMessage } from '../lib/format.ts';
import { useApi } from './api.ts';

const cache = new Map<string, InspectorTurn | null>();

export interface InspectorLoad {
  data: InspectorTurn | null;
  loading: boolean;
  error: string | null;
}

export function useInspectorTurn(conversationId: string | null, turn: number | null, version: number): InspectorLoad {
  const api = useApi();
  const key = conversationId && turn !== null ? `${conversationId}:${turn}:${version}` : null;
  const [state, setState] = useState<InspectorLoad>({ data: null, loading: false, error: null });
  useEffect(() => {
    if (!key || !conversationId || turn === null) {
      setState({ data: null, loading: false, error: null });
      return;
    }
    if (cache.has(key)) {
      setState({ data: cache.get(key) ?? null, loading: false, error: null });
      return;
    }
    let alive = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    api.call('inspector.get', { conversationId, turn }).then(
      (d) => {
        if (cache.size > 64) cache.clear();
        cache.set(key, d);
        if (alive) setState({ data: d, loading: false, error: null });
      },
      (e) => alive && setState({ data: null, loading: false, error: errorMessage(e) }),
    );
    return () => {
      alive = false;
    };
  }, [api, key, conversationId, turn]);
  return state;
}
