// The window: library on the left, player and chat in the middle, inspector / settings on the right.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CallRes, PolicyName, SparseVilaApi } from '../../electron/contract.ts';
import { Chat } from './components/Chat.tsx';
import { Inspector, type TurnRef } from './components/Inspector.tsx';
import { Library } from './components/Library.tsx';
import { ModelManager } from './components/ModelManager.tsx';
import { Player, type PlayerHandle } from './components/Player.tsx';
import { SettingsPanel } from './components/SettingsPanel.tsx';
import { Splitter } from './components/Splitter.tsx';
import { TopBar } from './components/TopBar.tsx';
import { Welcome } from './components/Welcome.tsx';
import { framesFor, type FrameSampling } from './lib/frame-sampling.ts';
import { usePref } from './lib/prefs.ts';
import { ApiContext, useApi } from './state/api.ts';
import { ToastProvider, useToasts } from './state/toasts.tsx';
import { useEstimate } from './state/useEstimate.ts';
import { CENTER_MIN, columns, playerHeight } from './lib/layout.ts';
import { useModels } from './state/useModels.ts';
import { useSession } from './state/useSession.ts';
import { useSettings } from './state/useSettings.ts';

export function App({ api }: { api: SparseVilaApi }) {
  return (
    <ApiContext.Provider value={api}>
      <ToastProvider>
        <Shell />
      </ToastProvider>
    </ApiContext.Provider>
  );
}

type AppInfo = CallRes<'app.info'>;

function Shell() {
  const api = useApi();
  const toasts = useToasts();
  const { settings, engine, update } = useSettings();
  const session = useSession(
    settings?.frames ?? null,
    settings ? { modelId: settings.modelId, sampleFps: settings.sampleFps, maxFrames: settings.maxFrames, maxPixels: settings.maxPixels } : null,
  );
  const models = useModels();
  const activeModel = models.models.find((m) => m.id === settings?.modelId) ?? models.models.find((m) => m.source === 'embedded') ?? null;
  const estimate = useEstimate(session.conversation?.id ?? null, settings, session.turnsVersion, session.video?.id ?? null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [leftW, setLeftW] = usePref('leftWidth', 264);
  const [rightW, setRightW] = usePref('rightWidth', 520);
  const [playerH, setPlayerH] = usePref('playerHeight', 300);
  const [tab, setTab] = usePref<'inspector' | 'settings'>('rightTab', 'inspector');
  const [modelsOpen, setModelsOpen] = useState(false);
  const [sampling, setSampling] = usePref<FrameSampling>('frameSampling', { mode: 'count' });
  const [dragging, setDragging] = useState(false);
  const [turn, setTurn] = useState<number | null>(null);
  const [compare, setCompare] = useState<number | null>(null);
  const pendingCompare = useRef<{ messageId: string; base: number } | null>(null);
  const player = useRef<PlayerHandle>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const busy = session.streamingId !== null || (session.conversation?.messages.some((m) => m.status === 'streaming') ?? false);

  useEffect(() => {
    api.call('app.info', {}).then(setInfo, () => undefined);
  }, [api]);

  // Panels never push the chat below its minimum width, whatever size the window has now.
  const [winW, setWinW] = useState(window.innerWidth);
  const [winH, setWinH] = useState(window.innerHeight);
  useEffect(() => {
    const onResize = () => {
      setWinW(window.innerWidth);
      setWinH(window.innerHeight);
    };
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  const [leftOpen, setLeftOpen] = usePref('libraryOpen', true);
  const [rightOpen, setRightOpen] = usePref('sidePanelOpen', true);
  const { left, right, template } = columns(winW, leftW, rightW, leftOpen, rightOpen);
  const shownPlayerH = playerHeight(playerH, winH);

  // A new conversation starts the inspector on its latest turn again.
  useEffect(() => {
    setTurn(null);
    setCompare(null);
  }, [session.conversation?.id]);

  // After "re-ask & compare" finishes, show the two turns side by side.
  useEffect(() => {
    const pc = pendingCompare.current;
    if (!pc) return;
    const m = session.conversation?.messages.find((x) => x.id === pc.messageId);
    if (m?.stats && m.status !== 'streaming') {
      pendingCompare.current = null;
      setTurn(pc.base);
      setCompare(m.stats.turn);
    }
  }, [session.conversation]);

  // Sampling by rate: the open video's length sets the frame count.
  const rateFrames = settings ? framesFor(sampling, session.video?.durationSec ?? null, settings.frames) : null;
  useEffect(() => {
    if (settings && rateFrames !== null && rateFrames !== settings.frames) update({ frames: rateFrames });
  }, [rateFrames, settings, update]);

  const seek = useCallback((sec: number) => player.current?.seek(sec), []);

  const reask = useCallback(
    async (t: TurnRef, policy: PolicyName) => {
      if (!settings) return;
      const res = await session.ask(t.question, { settings: { ...settings, policy }, checkMemory: true });
      if (res && 'refused' in res) toasts.push('error', `Not sent: ${res.refused}`);
      if (res && 'messageId' in res) pendingCompare.current = { messageId: res.messageId, base: t.turn };
    },
    [session, settings, toasts],
  );

  // Keyboard: Ctrl/Cmd+K focuses the question box; Esc stops the answer in flight.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        input.current?.focus();
      } else if (e.key === 'Escape' && !modelsOpen) {
        if (busy) session.stop();
        else if (session.progress) session.cancelPrepare();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [busy, modelsOpen, session]);

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (!file) return;
    const path = api.pathForFile?.(file) ?? null;
    if (path) void session.openPath(path);
    else toasts.push('info', `This browser window cannot see where “${file.name}” lives. Paste its path into “Video file path” instead.`);
  };

  return (
    <div
      className="app"
      style={{ gridTemplateColumns: template }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <TopBar
        video={session.video}
        engine={engine}
        info={info}
        model={activeModel}
        onModels={() => setModelsOpen(true)}
        panels={{ library: leftOpen, side: rightOpen, onLibrary: setLeftOpen, onSide: setRightOpen }}
      />
      {leftOpen ? <Library session={session} serveMode={info?.serveMode ?? true} /> : <div aria-hidden="true" />}
      {leftOpen ? <Splitter side="left" size={left} min={200} max={480} label="Resize library" onResize={setLeftW} /> : <div aria-hidden="true" />}
      <main className="center">
        {session.video ? (
          <>
            <Player ref={player} video={session.video} frames={session.frames} framesLoading={session.framesLoading} framesError={session.framesError} height={shownPlayerH} />
            <Splitter side="top" size={shownPlayerH} min={120} max={Math.max(120, Math.min(720, playerHeight(10_000, winH)))} label="Resize player" onResize={setPlayerH} />
            <Chat
              session={session}
              settings={settings}
              model={activeModel}
              estimate={estimate}
              inspectedTurn={turn}
              inputRef={input}
              onSeek={seek}
              onInspect={(t) => {
                setTurn(t);
                setTab('inspector');
              }}
            />
          </>
        ) : (
          <Welcome serveMode={info?.serveMode ?? true} hasRecent={session.recent.length > 0} onDemo={session.openDemo} />
        )}
      </main>
      {rightOpen ? (
        <Splitter side="right" size={right} min={320} max={Math.max(320, winW - left - CENTER_MIN - 10)} label="Resize side panel" onResize={setRightW} />
      ) : (
        <div aria-hidden="true" />
      )}
      <aside className="side" aria-label="Side panel" hidden={!rightOpen}>
        <div className="tabs" role="tablist">
          <button role="tab" id="tab-inspector" aria-selected={tab === 'inspector'} aria-controls="panel-side" className={tab === 'inspector' ? 'tab on' : 'tab'} onClick={() => setTab('inspector')}>
            Inspector
          </button>
          <button role="tab" id="tab-settings" aria-selected={tab === 'settings'} aria-controls="panel-side" className={tab === 'settings' ? 'tab on' : 'tab'} onClick={() => setTab('settings')}>
            Settings
          </button>
          <button
            className="icon-btn tab-wide"
            title={right < 760 ? 'Widen the panel' : 'Narrow the panel'}
            aria-label={right < 760 ? 'Widen the side panel' : 'Narrow the side panel'}
            onClick={() => setRightW(right < 760 ? Math.round(winW * 0.62) : 520)}
          >
            {right < 760 ? '⇤' : '⇥'}
          </button>
        </div>
        <div className="side-body" id="panel-side" role="tabpanel" aria-labelledby={`tab-${tab}`}>
          {tab === 'inspector' ? (
            <Inspector
              conversation={session.conversation}
              video={session.video}
              frames={session.frames}
              version={session.turnsVersion}
              turn={turn}
              compare={compare}
              busy={busy}
              onTurn={setTurn}
              onCompare={setCompare}
              onSeek={seek}
              onReask={(t, p) => void reask(t, p)}
            />
          ) : settings ? (
            <SettingsPanel
              settings={settings}
              engine={engine}
              models={models.models}
              estimate={estimate}
              onChange={update}
              onManageModels={() => setModelsOpen(true)}
              sampling={sampling}
              onSampling={setSampling}
              durationSec={session.video?.durationSec ?? null}
              tokensPerFrame={activeModel?.tokensPerFrame ?? null}
            />
          ) : (
            <p className="muted pad">Loading settings…</p>
          )}
        </div>
      </aside>
      {modelsOpen && (
        <ModelManager
          state={models}
          activeId={settings?.modelId ?? null}
          onUse={(patch) => update(patch)}
          onClose={() => setModelsOpen(false)}
        />
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop the video to open it</div>
        </div>
      )}
    </div>
  );
}
