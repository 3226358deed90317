// Answer text with its timestamps turned into buttons that seek the player.
import { useMemo } from 'react';
import { splitTimestamps } from '../lib/timestamps.ts';
import { formatClock } from '../lib/format.ts';

export function RichText({ text, durationSec, onSeek }: { text: string; durationSec: number | null; onSeek(sec: number): void }) {
  // Runs of blank lines (common in early or stopped answers) would push the rest of the chat off screen.
  const parts = useMemo(() => splitTimestamps(text.replace(/\n{3,}/g, '\n\n'), durationSec), [text, durationSec]);
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
