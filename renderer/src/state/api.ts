// The one API object (window.sparsevila in Electron, the WebSocket client in serve mode), handed down by context.
import { createContext, useContext } from 'react';
import type { SparseVilaApi } from '../../../electron/contract.ts';

export const ApiContext = createContext<SparseVilaApi | null>(null);

export function useApi(): SparseVilaApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}
