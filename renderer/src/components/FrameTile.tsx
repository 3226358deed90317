// One sampled frame with its token overlay, drawn on a canvas.
import { memo, useEffect, useReducer, useRef } from 'react';
import { drawFrame, loadImage, type OverlayInput } from '../lib/overlay.ts';
import { useVisible } from '../lib/useVisible.ts';

interface Props {
  index: number;
  /** "Frames 3–4" when the tile's tokens cover a temporal group of frames; default "Frame {index + 1}". */
  name?: string;
  timeSec: number;
  /** The time as shown (precise enough to tell this frame from its neighbours). */
  timeLabel: string;
  thumbUrl: string | null;
  /** The video file is cut off before this frame: the model saw the last decoded frame in its place. */
  missing?: boolean;
  width: number;
  aspect: number;
  overlay: OverlayInput;
  retained: number;
  retrieved: number;
  /** Where `retrieved` was read: "at any layer", "at layer 4" (the badge counts what the overlay shows). */
  readWhere: string;
  perFrame: number;
  onHover(frame: number, row: number, col: number): void;
  onLeave(): void;
  onSeek(sec: number): void;
}

export const FrameTile = memo(function FrameTile(p: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [loaded, bump] = useReducer((x: number) => x + 1, 0);
  const height = Math.round(p.width / p.aspect);
  const visible = useVisible(canvas);

  useEffect(() => {
    const c = canvas.current;
    if (!c || !visible) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(p.width * dpr);
    const h = Math.round(height * dpr);
    // Resizing a canvas reallocates and clears it: only when the size really changed.
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    const img = p.thumbUrl ? loadImage(p.thumbUrl, bump) : null;
    drawFrame(c.getContext('2d')!, c.width, c.height, img, p.overlay);
  }, [p.width, height, p.thumbUrl, p.overlay, loaded, visible]);

  return (
    <figure className={p.missing ? 'tile missing' : 'tile'} style={{ width: p.width }} title={p.missing ? 'Missing from the file (cut off): the model saw the last decoded frame here' : undefined}>
      <canvas
        ref={canvas}
        style={{ width: p.width, height }}
        role="img"
        aria-label={`${p.name ?? `Frame ${p.index + 1}`} at ${p.timeLabel}: ${p.retained} of ${p.perFrame} tokens kept, ${p.retrieved} read ${p.readWhere}`}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const col = Math.min(p.overlay.gridW - 1, Math.floor(((e.clientX - r.left) / r.width) * p.overlay.gridW));
          const row = Math.min(p.overlay.gridH - 1, Math.floor(((e.clientY - r.top) / r.height) * p.overlay.gridH));
          p.onHover(p.index, row, col);
        }}
        onMouseLeave={p.onLeave}
        onClick={() => p.onSeek(p.timeSec)}
      />
      <figcaption>
        <span>
          {p.timeLabel}
          {p.missing && <em className="tile-missing"> missing</em>}
        </span>
        <span className="tile-counts" title={`${p.retained} of ${p.perFrame} tokens kept · ${p.retrieved} read ${p.readWhere}`}>
          <b className="c-ret">{p.retained}</b>/<span>{p.perFrame}</span> · <b className="c-rtv">{p.retrieved}</b>
        </span>
      </figcaption>
    </figure>
  );
});
