// A draggable divider between two panels; reports the new size of the panel on its `side`.
import { useCallback, useRef } from 'react';

interface Props {
  /** Which neighbour the size belongs to. */
  side: 'left' | 'right' | 'top';
  size: number;
  min: number;
  max: number;
  label: string;
  onResize(size: number): void;
}

export function Splitter({ side, size, min, max, label, onResize }: Props) {
  const start = useRef<{ x: number; size: number } | null>(null);
  const vertical = side !== 'top';
  const grow = side === 'right' ? -1 : 1;
  const clamp = useCallback((v: number) => Math.round(Math.min(max, Math.max(min, v))), [min, max]);
  return (
    <div
      className={vertical ? 'splitter' : 'splitter splitter-h'}
      role="separator"
      aria-orientation={vertical ? 'vertical' : 'horizontal'}
      aria-label={label}
      aria-valuenow={size}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={(e) => {
        start.current = { x: vertical ? e.clientX : e.clientY, size };
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (!start.current) return;
        const dx = (vertical ? e.clientX : e.clientY) - start.current.x;
        onResize(clamp(start.current.size + grow * dx));
      }}
      onPointerUp={() => {
        start.current = null;
      }}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 64 : 16;
        if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') onResize(clamp(size - grow * step));
        if (e.key === 'ArrowRight' || e.key === 'ArrowDown') onResize(clamp(size + grow * step));
      }}
    />
  );
}
