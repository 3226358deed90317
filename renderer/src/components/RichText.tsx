// Answer text with its timestamps turned into buttons that seek the player.
import { useMemo } from 'react';
import { splitTimestamps } from '../lib/timestamps.ts';
import { formatClock } from '../lib/format.ts';

export function RichText({ text, durationSec, onSeek }: { text: string; durationSec: number | null; onSeek(sec: number): void }) {
  const parts = useMemo(() => splitTimestamps(text, durationSec), [text, durationSec]);
  return (
    <>
      {parts.map((p, i) =>
        p.kind === 'text' ? (
          <span key={i}>{p.text}</span>
        ) : (
          <button key={i} className="ts-link" onClick={() => onSeek(p.sec)} title={`Seek to ${formatClock(p.sec)}`}>
            {p.text}
          </button>
        ),
      )}
    </>
  );
}
