// The settings' "Open logs folder" button appears wherever there is an API to ask (desktop app and serve mode).
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { SparseVilaApi } from '../../../electron/contract.ts';
import { LogsFolderButton } from '../../../renderer/src/components/LogsFolderButton.tsx';
import { ApiContext } from '../../../renderer/src/state/api.ts';

describe('logs folder button', () => {
  it('is shown with an API to call, and not without one', () => {
    const api = { call: async () => ({ path: '/data/logs', opened: true }), on: () => () => {} } as unknown as SparseVilaApi;
    expect(renderToStaticMarkup(<ApiContext.Provider value={api}><LogsFolderButton /></ApiContext.Provider>)).toContain('>Open logs folder</button>');
    expect(renderToStaticMarkup(<LogsFolderButton />)).toBe('');
  });
});
