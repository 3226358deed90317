// A compact bar chart over the sampled frames: tokens kept (blue) and retrieved (amber) per frame.
import { useEffect, useRef, useState } from 'react';
import { COLORS, rgba } from '../lib/overlay.ts';
import type { FrameCounts } from '../lib/tokenMap.ts';

export function FrameTimeline({ counts, perFrame, labels, onPick }: { counts: FrameCounts[]; perFrame: number; labels?: readonly string[]; onPick(frame: number): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tip, setTip] = useState('Tokens kept (blue) and read (amber) per frame; click to go to a frame');
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth * dpr;
    const h = c.clientHeight * dpr;
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, w, h);
    const n = counts.length;
    if (!n) return;
    const bw = w / n;
    const gap = bw > 4 * dpr ? dpr : 0;
    counts.forEach((k, i) => {
      const x = i * bw;
      const hr = (k.retained / perFrame) * h;
      const ht = (k.retrieved / perFrame) * h;
      ctx.fillStyle = 'rgba(86,156,255,0.45)';
      ctx.fillRect(x, h - hr, bw - gap, hr);
      ctx.fillStyle = rgba([COLORS.retrieved[0], COLORS.retrieved[1], COLORS.retrieved[2], 255]);
      ctx.fillRect(x, h - ht, bw - gap, ht);
    });
  }, [counts, perFrame]);
  return (
    <canvas
      ref={canvas}
      className="timeline"
      role="img"
      aria-label="Tokens kept and retrieved per frame"
      title={tip}
      onMouseMove={(e) => {
        const r = e.currentTarget.getBoundingClientRect();
        const f = Math.min(counts.length - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * counts.length)));
        const k = counts[f];
        if (k) setTip(`Frame ${f + 1}${labels?.[f] ? ` (${labels[f]})` : ''}: ${k.retained} of ${perFrame} tokens kept, ${k.retrieved} read`);
      }}
      onClick={(e) => {
        const r = e.currentTarget.getBoundingClientRect();
        onPick(Math.min(counts.length - 1, Math.floor(((e.clientX - r.left) / r.width) * counts.length)));
      }}
    />
  );
}
