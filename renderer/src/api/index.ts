// The renderer's one way to reach the app: Electron's preload API when present, else serve mode's WebSocket.
import type { SparseVilaApi } from '../../../electron/contract.ts';
import { createWsApi } from './ws-client.ts';

export { ApiError } from './ws-client.ts';

const TOKEN_KEY = 'sparsevila.serveToken';

declare global {
  interface Window {
    sparsevila?: SparseVilaApi;
  }
}

let api: SparseVilaApi | null = null;

export function getApi(): SparseVilaApi {
  if (api) return api;
  if (window.sparsevila) return (api = window.sparsevila);
  if (location.protocol !== 'http:' && location.protocol !== 'https:') {
    throw new Error('No connection to the app: this page must be opened by the desktop app or from `sparsevila serve`.');
  }
  // The printed URL carries ?token=...; keep it for this tab and take it out of the address bar.
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return (api = createWsApi({ url: wsUrl }));
}
