// Title bar: the app, the open video, the model in use, and the engine's state.
import type { CallRes, EngineStatus, ModelInfo, VideoInfo } from '../../../electron/contract.ts';
import { formatClock } from '../lib/format.ts';

interface Props {
  video: VideoInfo | null;
  engine: EngineStatus | null;
  info: CallRes<'app.info'> | null;
  model: ModelInfo | null;
  onModels(): void;
  /** Which side panels are shown, and how to show or hide them. */
  panels?: { library: boolean; side: boolean; onLibrary(open: boolean): void; onSide(open: boolean): void };
}

export function TopBar({ video, engine, info, model, onModels, panels }: Props) {
  const state = engine?.state ?? 'starting';
  const where = engine ? (engine.backend === 'cuda' ? engine.gpuName ?? 'GPU' : 'CPU') : '…';
  return (
    <header className="topbar">
      {panels && <PanelToggle name="the library" icon="◧" open={panels.library} onOpen={panels.onLibrary} />}
      <div className="brand">
        <span className="logo" aria-hidden="true">
          ◧
        </span>
        SparseVILA
        {info?.serveMode && <span className="tag tag-serve" title="Running against `sparsevila serve`">serve</span>}
      </div>
      <div className="top-video" title={video?.path}>
        {video ? (
          <>
            <span className="top-name">{video.name}</span>
            <span className="muted">{formatClock(video.durationSec)}</span>
          </>
        ) : (
          <span className="muted">No video open</span>
        )}
      </div>
      <div className="top-right">
        <button className="btn btn-small btn-ghost" onClick={onModels} title="Model manager" aria-label={`Model manager${model ? ` (using ${model.name})` : ''}`}>
          {model ? model.name : 'Models'}
        </button>
        {panels && <PanelToggle name="the side panel" icon="◨" open={panels.side} onOpen={panels.onSide} />}
        <span className={`engine-pill st-${state}`} role="status" title={engine?.message ?? undefined}>
          <i aria-hidden="true" />
          {state === 'ready' ? where : state === 'busy' ? `${where} · busy` : state}
          {engine && engine.restarts > 0 && <span className="muted"> · restarted {engine.restarts}×</span>}
        </span>
      </div>
    </header>
  );
}

function PanelToggle({ name, icon, open, onOpen }: { name: string; icon: string; open: boolean; onOpen(open: boolean): void }) {
  const label = `${open ? 'Hide' : 'Show'} ${name}`;
  return (
    <button className="icon-btn panel-toggle" aria-pressed={open} aria-label={label} title={label} onClick={() => onOpen(!open)}>
      {icon}
    </button>
  );
}
