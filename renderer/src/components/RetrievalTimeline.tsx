// Retrieval as it changed during an answer (retrieval 'refresh' re-retrieves every N tokens, 'pages' picks pages at
// every token): one row per change, one cell per frame, shaded by the share of the frame's tokens read (mean over
// layers), labelled by the first generated token it served.
import type { InspectorTurn } from '../../../electron/contract.ts';

export function RetrievalTimeline({ turn }: { turn: InspectorTurn }) {
  const tl = turn.retrievalTimeline;
  if (!tl || tl.length < 2) return null;
  const perFrame = turn.gridH * turn.gridW;
  return (
    <div className="retrieval-timeline" role="table" aria-label="Retrieval during the answer">
      <span className="muted">tokens read per frame, by generated token ({tl.length} changes)</span>
      {tl.map((e) => (
        <div key={e.fromToken} className="rt-row" role="row">
          <span className="rt-token" role="rowheader">from token {e.fromToken + 1}</span>
          {e.readPerFrame.map((n, f) => (
            <i
              key={f}
              role="cell"
              className="rt-cell"
              title={`frame ${f + 1}: ${n} of ${perFrame} tokens read`}
              style={{ opacity: Math.max(0.08, Math.min(1, n / perFrame)) }}
            />
          ))}
        </div>
      ))}
    </div>
  );
}
