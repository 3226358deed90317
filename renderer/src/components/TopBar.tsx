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
      {panels && (
        <button
          className="icon-btn panel-toggle"
          aria-pressed={panels.library}
          aria-label={panels.library ? 'Hide the library' : 'Show the library'}
          title={panels.library ? 'Hide the library' : 'Show the library'}
          onClick={() => panels.onLibrary(!panels.library)}
        >
          ◧
        </button>
      )}
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
        {panels && (
          <button
            className="icon-btn panel-toggle"
            aria-pressed={panels.side}
            aria-label={panels.side ? 'Hide the side panel' : 'Show the side panel'}
            title={panels.side ? 'Hide the inspector and settings' : 'Show the inspector and settings'}
            onClick={() => panels.onSide(!panels.side)}
          >
            ◨
          </button>
        )}
        <span className={`engine-pill st-${state}`} role="status" title={engine?.message ?? undefined}>
          <i aria-hidden="true" />
          {state === 'ready' ? where : state === 'busy' ? `${where} · busy` : state}
          {engine && engine.restarts > 0 && <span className="muted"> · restarted {engine.restarts}×</span>}
        </span>
      </div>
    </header>
  );
}
