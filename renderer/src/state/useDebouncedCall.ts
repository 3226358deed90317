// A server call whose answer follows its inputs, made a moment after they stop changing; null while there is none
// (no inputs, or the call failed).
import { useEffect, useState } from 'react';
import type { CallName, CallReq, CallRes } from '../../../electron/contract.ts';
import { useApi } from './api.ts';

/** `key` stands for the request (it changes exactly when the request does); `req` null = nothing to ask. */
export function useDebouncedCall<N extends CallName>(name: N, req: CallReq<N> | null, key: string, delayMs = 250): CallRes<N> | null {
  const api = useApi();
  const [res, setRes] = useState<CallRes<N> | null>(null);
  useEffect(() => {
    if (!req) {
      setRes(null);
      return;
    }
    let alive = true;
    const t = window.setTimeout(() => {
      api.call(name, req).then(
        (r) => alive && setRes(r),
        () => alive && setRes(null),
      );
    }, delayMs);
    return () => {
      alive = false;
      window.clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for req
  }, [api, name, key, delayMs]);
  return res;
}
