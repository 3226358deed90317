// Global settings (persisted by the server) and the engine's status. Edits apply at once in the UI and are saved
// after a short pause so dragging a slider does not flood the server.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EngineStatus, Settings } from '../../../electron/contract.ts';
import { errorMessage } from '../lib/format.ts';
import { useApi } from './api.ts';
import { useToasts } from './toasts.tsx';

export interface SettingsState {
  settings: Settings | null;
  engine: EngineStatus | null;
  update(patch: Partial<Settings>): void;
}

export function useSettings(): SettingsState {
  const api = useApi();
  const toasts = useToasts();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [engine, setEngine] = useState<EngineStatus | null>(null);
  const pending = useRef<Partial<Settings>>({});
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    let alive = true;
    api.call('settings.get', {}).then((s) => alive && setSettings(s), (e) => toasts.push('error', `Settings: ${errorMessage(e)}`));
    api.call('engine.status', {}).then((s) => alive && setEngine(s), () => undefined);
    const off = api.on('engine.status', (s) => {
      setEngine((prev) => {
        if (s.state === 'restarting' || (s.state === 'crashed' && prev?.state !== 'crashed')) {
          toasts.push('error', s.message ?? 'The engine stopped unexpectedly; restarting it. Your conversations are safe.');
        } else if (prev && (prev.state === 'restarting' || prev.state === 'crashed') && s.state === 'ready') {
          toasts.push('info', 'The engine is back.');
        }
        return s;
      });
    });
    return () => {
      alive = false;
      off();
    };
  }, [api, toasts]);

  const update = useCallback(
    (patch: Partial<Settings>) => {
      setSettings((s) => (s ? { ...s, ...patch } : s));
      pending.current = { ...pending.current, ...patch };
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => {
        const body = pending.current;
        pending.current = {};
        api.call('settings.set', body).then(
          (saved) => setSettings((s) => (Object.keys(pending.current).length ? s : saved)),
          (e) => toasts.push('error', `Could not save settings: ${errorMessage(e)}`),
        );
      }, 300);
    },
    [api, toasts],
  );

  return { settings, engine, update };
}
