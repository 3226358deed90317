// One turn in the inspector: its summary, the per-frame timeline, and the grid of frames with token overlays.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { InspectorTurn, SampledFrame } from '../../../electron/contract.ts';
import { tokenGroups } from '../lib/temporal-groups.ts';
import type { OverlayInput } from '../lib/overlay.ts';
import { classLabels, countsPerFrame, normalizedSaliency, PRUNED, retrievalDepth, tokenClasses, type LayerView, type TokenClass } from '../lib/tokenMap.ts';
import { FrameTile } from './FrameTile.tsx';
import { FrameTimeline } from './FrameTimeline.tsx';
import { LayerStrip } from './LayerStrip.tsx';
import { RetrievalTimeline } from './RetrievalTimeline.tsx';
import { TokenLegend } from './TokenLegend.tsx';
import { TurnSummary } from './TurnSummary.tsx';

interface Props {
  data: InspectorTurn;
  question: string | null;
  frames: SampledFrame[] | null;
  layer: LayerView;
  mode: 'tokens' | 'saliency';
  tileWidth: number;
  aspect: number;
  scaleMs: number;
  onSeek(sec: number): void;
  /** Pick the layer shown (the layer slider's value). */
  onLayer?(layer: LayerView): void;
}

export function TurnView({ data, question, frames, layer, mode, tileWidth, aspect, scaleMs, onSeek, onLayer }: Props) {
  const layers = data.retrievedByLayer.length;
  const effLayer: LayerView = layer === 'any' || layers === 0 ? 'any' : Math.min(layer, layers - 1);
  const cls = useMemo(() => tokenClasses(data, effLayer), [data, effLayer]);
  const depth = useMemo(() => (effLayer === 'any' && layers > 0 ? retrievalDepth(data) : null), [data, effLayer, layers]);
  const saliency = useMemo(() => normalizedSaliency(data), [data]);
  const counts = useMemo(() => countsPerFrame(data, cls), [data, cls]);
  const readAnyLayer = useMemo(() => (layers > 0 ? new Set(data.retrievedByLayer.flat()).size : null), [data, layers]);
  const readWhere = effLayer === 'any' ? 'at any layer' : `at layer ${effLayer + 1}`;
  const perFrame = data.gridH * data.gridW;
  // One tile per token grid: a frame, or (Qwen-VL) a temporal pair of frames sharing its tokens.
  const groups = useMemo(() => tokenGroups(data), [data]);
  const timeLabels = useMemo(() => groups.map((g) => g.timeLabel), [groups]);
  const effMode = mode === 'saliency' && saliency ? 'saliency' : 'tokens';

  const overlays = useMemo(
    () =>
      Array.from({ length: data.frames }, (_, f): OverlayInput => ({
        mode: effMode,
        gridH: data.gridH,
        gridW: data.gridW,
        offset: f * perFrame,
        cls,
        depth,
        layers,
        saliency,
      })),
    [data, cls, depth, layers, saliency, effMode, perFrame],
  );

  // Frames the file could not supply, when the filmstrip's sampling is this turn's.
  const missing = useMemo(
    () => data.frameTimes.map((t, i) => Boolean(frames && frames.length === data.frames && Math.abs(frames[i].timeSec - t) < 0.05 && frames[i].missing)),
    [data, frames],
  );

  // Thumbnails: the sampled frame at the same time (settings may have changed since this turn); a group's first frame.
  const thumbs = useMemo(() => {
    return groups.map(({ thumbTimeSec: t, frames: own }, i) => {
      if (!frames || frames.length === 0) return null;
      const k = own[0] ?? i;
      if (frames.length > k && Math.abs(frames[k].timeSec - t) < 0.05) return frames[k].thumbUrl;
      let best = frames[0];
      for (const f of frames) if (Math.abs(f.timeSec - t) < Math.abs(best.timeSec - t)) best = f;
      return best.thumbUrl;
    });
  }, [groups, frames]);

  const [hover, setHover] = useState<{ f: number; r: number; c: number } | null>(null);
  const onHover = useCallback((f: number, r: number, c: number) => setHover({ f, r, c }), []);
  const onLeave = useCallback(() => setHover(null), []);
  const grid = useRef<HTMLDivElement>(null);
  // Tiles share the row evenly: as many as fit at the requested size, stretched to fill it.
  const [rowWidth, setRowWidth] = useState(0);
  useEffect(() => {
    const el = grid.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setRowWidth(el.clientWidth));
    ro.observe(el);
    setRowWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  const GAP = 6;
  const cols = rowWidth > 0 ? Math.max(1, Math.floor((rowWidth + GAP) / (tileWidth + GAP))) : 0;
  const width = cols > 0 ? Math.floor((rowWidth - GAP * (cols - 1)) / cols) : tileWidth;

  let hoverText = 'Hover a frame to read a token; click to seek the player.';
  if (hover) {
    const v = hover.f * perFrame + hover.r * data.gridW + hover.c;
    const state = classLabels(data)[cls[v] as TokenClass] ?? '';
    const sal = data.saliency ? ` · saliency ${data.saliency[v]?.toPrecision(3)}` : '';
    let layersText = '';
    if (layers > 0 && cls[v] !== PRUNED) {
      let k = 0;
      for (const list of data.retrievedByLayer) if (list.includes(v)) k++;
      layersText = ` · read at ${k} of ${layers} layers`;
    }
    hoverText = `${groups[hover.f]?.name ?? `Frame ${hover.f + 1}`} (${timeLabels[hover.f] ?? ''}) · token row ${hover.r + 1} of ${data.gridH}, column ${hover.c + 1} of ${data.gridW} · ${state}${sal}${layersText}`;
  }

  const s = data.stats;
  return (
    <div className="turn-view" data-turn={data.turn}>
      <header className="turn-head">
        <h3>
          Turn {data.turn} <span className={`tag tag-policy`}>{s.policy}</span>
        </h3>
        {question && <p className="turn-q" title={question}>“{question}”</p>}
        {layers === 0 && <p className="turn-note">No decode retrieval under {s.policy}: every kept token is read at every layer.</p>}
      </header>
      <TurnSummary s={s} scaleMs={scaleMs} readAnyLayer={readAnyLayer} />
      {effMode === 'tokens' && <TokenLegend turn={data} layer={effLayer} />}
      {onLayer && <LayerStrip turn={data} layer={effLayer} onLayer={onLayer} />}
      <RetrievalTimeline turn={data} />
      <FrameTimeline
        counts={counts}
        perFrame={perFrame}
        labels={timeLabels}
        onPick={(f) => {
          (grid.current?.children[f] as HTMLElement | undefined)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
          onSeek(data.frameTimes[f] ?? 0);
        }}
      />
      <p className="hover-line" aria-live="off">
        {hoverText}
      </p>
      <div className="tiles" ref={grid}>
        {overlays.map((o, f) => (
          <FrameTile
            key={f}
            index={f}
            name={groups[f]?.name}
            timeSec={data.frameTimes[f] ?? 0}
            timeLabel={timeLabels[f] ?? ''}
            thumbUrl={thumbs[f] ?? null}
            missing={missing[f]}
            width={width}
            aspect={aspect}
            overlay={o}
            retained={counts[f].retained}
            retrieved={counts[f].retrieved}
            readWhere={layers > 0 ? readWhere : 'every kept token (no retrieval)'}
            perFrame={perFrame}
            onHover={onHover}
            onLeave={onLeave}
            onSeek={onSeek}
          />
        ))}
      </div>
    </div>
  );
}
