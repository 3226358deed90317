// The token inspector: which visual tokens each turn kept and read, frame by frame, layer by layer, and how two turns
// (or two policies on the same question) compare.
import { useMemo, useState } from 'react';
import type { Conversation, InspectorTurn, PolicyName, SampledFrame, VideoInfo } from '../../../electron/contract.ts';
import { formatMs } from '../lib/format.ts';
import { usePref } from '../lib/prefs.ts';
import { cellPaint, heat, swatchStyle } from '../lib/overlay.ts';
import { POLICIES } from '../lib/policies.ts';
import { PRUNED, RETAINED, RETRIEVED, retrievalOverlap, type LayerView } from '../lib/tokenMap.ts';
import { useInspectorTurn } from '../state/useInspectorTurn.ts';
import { TurnView } from './TurnView.tsx';

export interface TurnRef {
  turn: number;
  policy: PolicyName;
  question: string;
  userMessageId: string;
}

/** Finished turns of a conversation, in order (a regenerated turn number keeps its latest answer). */
export function turnsOf(c: Conversation | null): TurnRef[] {
  if (!c) return [];
  const byTurn = new Map<number, TurnRef>();
  let lastUser: { id: string; text: string } | null = null;
  for (const m of c.messages) {
    if (m.role === 'user') lastUser = { id: m.id, text: m.text };
    else if (m.stats && lastUser) byTurn.set(m.stats.turn, { turn: m.stats.turn, policy: m.stats.policy, question: lastUser.text, userMessageId: lastUser.id });
  }
  return [...byTurn.values()].sort((a, b) => a.turn - b.turn);
}

interface Props {
  conversation: Conversation | null;
  video: VideoInfo | null;
  frames: SampledFrame[] | null;
  version: number;
  turn: number | null;
  compare: number | null;
  busy: boolean;
  onTurn(turn: number | null): void;
  onCompare(turn: number | null): void;
  onSeek(sec: number): void;
  onReask(t: TurnRef, policy: PolicyName): void;
}

export function Inspector(p: Props) {
  const turns = useMemo(() => turnsOf(p.conversation), [p.conversation]);
  const latest = turns.at(-1)?.turn ?? null;
  const shown = p.turn !== null && turns.some((t) => t.turn === p.turn) ? p.turn : latest;
  const compare = p.compare !== null && p.compare !== shown && turns.some((t) => t.turn === p.compare) ? p.compare : null;
  const convId = p.conversation?.id ?? null;
  const a = useInspectorTurn(convId, shown, p.version);
  const b = useInspectorTurn(convId, compare, p.version);

  const [layer, setLayer] = useState<LayerView>('any');
  const [mode, setMode] = usePref<'tokens' | 'saliency'>('inspectorMode', 'tokens');
  const [tile, setTile] = usePref('inspectorTile', 132);
  const [reaskPolicy, setReaskPolicy] = useState<PolicyName>('dense');

  const layers = Math.max(a.data?.retrievedByLayer.length ?? 0, b.data?.retrievedByLayer.length ?? 0);
  const aspect = p.video ? ((p.video.rotation / 90) % 2 ? p.video.height / p.video.width : p.video.width / p.video.height) || 16 / 9 : 16 / 9;
  const scaleMs = Math.max(sumMs(a.data?.stats.timings), sumMs(b.data?.stats.timings), sumMs(a.data?.stats.denseTimings), sumMs(b.data?.stats.denseTimings));
  const shownRef = turns.find((t) => t.turn === shown) ?? null;
  const hasSaliency = Boolean(a.data?.saliency || b.data?.saliency);

  if (!p.conversation || turns.length === 0) {
    return (
      <div className="inspector empty-state">
        <h2>Token inspector</h2>
        <p>Ask a question: each answer’s turn appears here with the frames the model saw and, per frame, which visual tokens were pruned at prefill, kept, and retrieved for that question.</p>
        <Legend saliency={false} />
      </div>
    );
  }

  return (
    <div className="inspector" aria-label="Token inspector">
      <div className="insp-controls">
        <div className="ctl">
          <span className="ctl-label" id="turn-label">
            Turn
          </span>
          <div className="seg" role="group" aria-labelledby="turn-label">
            {turns.map((t) => (
              <button
                key={t.turn}
                className={t.turn === shown ? 'seg-btn on' : 'seg-btn'}
                aria-pressed={t.turn === shown}
                title={`${t.policy}: ${t.question}`}
                onClick={() => p.onTurn(t.turn)}
              >
                {t.turn}
                {t.policy !== 'sparsevila' && <sup>{t.policy === 'dense' ? 'D' : t.policy === 'prefill-only' ? 'P' : 'Q'}</sup>}
              </button>
            ))}
          </div>
        </div>
        <div className="ctl">
          <label className="ctl-label" htmlFor="insp-compare">
            Compare with
          </label>
          <select id="insp-compare" className="input input-small" value={compare ?? ''} onChange={(e) => p.onCompare(e.target.value ? Number(e.target.value) : null)}>
            <option value="">—</option>
            {turns
              .filter((t) => t.turn !== shown)
              .map((t) => (
                <option key={t.turn} value={t.turn}>
                  Turn {t.turn} ({t.policy})
                </option>
              ))}
          </select>
        </div>
        <div className="ctl ctl-wide">
          <label className="ctl-label" htmlFor="insp-layer">
            Layer
          </label>
          <input
            id="insp-layer"
            type="range"
            min={-1}
            max={Math.max(0, layers - 1)}
            step={1}
            value={layer === 'any' ? -1 : Math.min(layer, Math.max(0, layers - 1))}
            disabled={layers === 0}
            aria-valuetext={layer === 'any' ? 'any layer' : `layer ${layer + 1} of ${layers}`}
            onChange={(e) => {
              const v = Number(e.target.value);
              setLayer(v < 0 ? 'any' : v);
            }}
          />
          <output htmlFor="insp-layer" className="ctl-out">
            {layers === 0 ? 'no retrieval' : layer === 'any' ? `any of ${layers} layers` : `layer ${Math.min(layer, layers - 1) + 1} of ${layers}${layerReads(a.data, layer)}`}
          </output>
        </div>
        <div className="ctl">
          <span className="ctl-label" id="mode-label">
            Overlay
          </span>
          <div className="seg" role="group" aria-labelledby="mode-label">
            <button className={mode === 'tokens' ? 'seg-btn on' : 'seg-btn'} aria-pressed={mode === 'tokens'} onClick={() => setMode('tokens')}>
              Tokens
            </button>
            <button
              className={mode === 'saliency' ? 'seg-btn on' : 'seg-btn'}
              aria-pressed={mode === 'saliency'}
              disabled={!hasSaliency}
              title={hasSaliency ? 'Saliency heatmap (prefill scores)' : 'No saliency under this policy'}
              onClick={() => setMode('saliency')}
            >
              Saliency
            </button>
          </div>
        </div>
        <div className="ctl">
          <label className="ctl-label" htmlFor="insp-size">
            Size
          </label>
          <input id="insp-size" type="range" min={64} max={360} step={4} value={tile} onChange={(e) => setTile(Number(e.target.value))} />
        </div>
      </div>

      {mode === 'saliency' && hasSaliency && <Legend saliency />}

      {shownRef && (
        <div className="reask">
          <span className="muted">Same question, other policy:</span>
          <label htmlFor="reask-policy" className="sr-only">
            Policy for the re-ask
          </label>
          <select id="reask-policy" className="input input-small" value={reaskPolicy} onChange={(e) => setReaskPolicy(e.target.value as PolicyName)}>
            {POLICIES.map((x) => (
              <option key={x.id} value={x.id}>
                {x.label}
              </option>
            ))}
          </select>
          <button className="btn btn-small btn-primary" disabled={p.busy} onClick={() => p.onReask(shownRef, reaskPolicy)}>
            Re-ask &amp; compare
          </button>
        </div>
      )}

      {a.data && b.data && <CompareTimes a={a.data} b={b.data} />}
      {a.data && b.data && <OverlapLine a={a.data} b={b.data} layer={layer} />}

      <div className={compare !== null ? 'insp-columns two' : 'insp-columns'}>
        {[a, b].map((load, i) => {
          const t = i === 0 ? shown : compare;
          if (t === null) return null;
          const ref = turns.find((x) => x.turn === t) ?? null;
          return (
            <div className="insp-col" key={i}>
              {load.error && <p className="form-error">Inspector: {load.error}</p>}
              {load.loading && !load.data && <p className="muted">Loading turn {t}…</p>}
              {!load.loading && !load.error && !load.data && <p className="muted">No inspector data was recorded for turn {t}.</p>}
              {load.data && (
                <TurnView
                  data={load.data}
                  question={ref?.question ?? null}
                  frames={p.frames}
                  layer={layer}
                  mode={mode}
                  tileWidth={compare !== null ? Math.round(tile * 0.75) : tile}
                  aspect={aspect}
                  scaleMs={scaleMs}
                  onSeek={p.onSeek}
                  onLayer={setLayer}
                />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** Within 2 %: no turn is called faster. */
const sameTime = (ratio: number) => ratio < 1.02;

/** End-to-end time of two turns side by side, and whether that comparison is like for like. */
export function CompareTimes({ a, b }: { a: InspectorTurn; b: InspectorTurn }) {
  const ta = a.stats.timings.totalMs, tb = b.stats.timings.totalMs;
  if (!(ta > 0 && tb > 0)) return null;
  const [fast, slow] = ta <= tb ? [a, b] : [b, a];
  const ratio = Math.max(ta, tb) / Math.min(ta, tb);
  const encodedA = a.stats.timings.visionMs > 0, encodedB = b.stats.timings.visionMs > 0;
  return (
    <p className="overlap-line" aria-label="Time comparison">
      Total: turn {a.turn} ({a.stats.policy}) <b>{formatMs(ta)}</b> vs turn {b.turn} ({b.stats.policy}) <b>{formatMs(tb)}</b>
      {encodedA === encodedB ? (
        <span className="muted"> — {sameTime(ratio) ? 'about the same time' : `turn ${fast.turn} was ${ratio.toFixed(2)}× faster than turn ${slow.turn}`}</span>
      ) : (
        <span className="warn">
          {' '}— not like for like: only turn {encodedA ? a.turn : b.turn} includes encoding the video (the first question on a
          prepared video pays for it; a re-ask under another policy prepares the video again).
          {a.stats.policy !== b.stats.policy && ' For a fair speedup use “Also run dense each turn” in Settings.'}
        </span>
      )}
    </p>
  );
}

/** How much two turns' retrieval agrees: the tokens both read are the stable ones, the rest followed the question. */
function OverlapLine({ a, b, layer }: { a: InspectorTurn; b: InspectorTurn; layer: LayerView }) {
  const o = useMemo(() => retrievalOverlap(a, b, layer), [a, b, layer]);
  if (!o) return null;
  const where = layer === 'any' ? 'at any layer' : `at layer ${layer + 1}`;
  return (
    <p className="overlap-line" aria-label="Retrieval overlap">
      Tokens read {where}: <b>{o.both}</b> by both turns · <b className="c-rtv">{o.onlyA}</b> only by turn {a.turn} ·{' '}
      <b className="c-rtv">{o.onlyB}</b> only by turn {b.turn}
      <span className="muted"> — the shared ones are stable picks (attention sinks); the others followed each question</span>
    </p>
  );
}

/** " · 13 read" for the shown turn at that layer ('' when it had no retrieval). */
function layerReads(t: InspectorTurn | null | undefined, layer: number): string {
  const n = t?.retrievedByLayer[Math.min(layer, t.retrievedByLayer.length - 1)]?.length;
  return n === undefined ? '' : ` · ${n} read`;
}

function sumMs(t: { visionMs: number; prefillMs: number; retrievalMs: number; decodeMs: number } | null | undefined): number {
  return t ? t.visionMs + t.prefillMs + t.retrievalMs + t.decodeMs : 0;
}

function Legend({ saliency }: { saliency: boolean }) {
  if (saliency) {
    const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => {
      const [r, g, b] = heat(t);
      return `rgb(${r | 0},${g | 0},${b | 0}) ${t * 100}%`;
    });
    return (
      <div className="legend" aria-label="Legend">
        <span className="heat-ramp" style={{ background: `linear-gradient(90deg, ${stops.join(',')})` }} />
        <span className="muted">low → high saliency (vision-encoder attention received); pruned tokens drawn opaque</span>
      </div>
    );
  }
  return (
    <div className="legend" aria-label="Legend">
      <span>
        <i className="sw" style={swatchStyle(cellPaint({ cls: Uint8Array.of(PRUNED), depth: null, layers: 0 }, 0))} /> pruned at prefill
      </span>
      <span>
        <i className="sw" style={swatchStyle(cellPaint({ cls: Uint8Array.of(RETAINED), depth: null, layers: 0 }, 0))} /> kept, not read this turn
      </span>
      <span>
        <i className="sw" style={swatchStyle(cellPaint({ cls: Uint8Array.of(RETRIEVED), depth: null, layers: 0 }, 0))} /> retrieved this turn <span className="muted">(outlined, colours untouched; any-layer view: brighter outline = more layers)</span>
      </span>
    </div>
  );
}
