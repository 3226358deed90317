// Finds times in an answer ("at 02:14", "0:42", "1:02:03", "12.5 s", "at 42 seconds") so the chat can turn them into
// links that seek the player. Times beyond the video's duration stay plain text.

export type Segment = { kind: 'text'; text: string } | { kind: 'time'; text: string; sec: number };

// h:mm:ss | m:ss (optional fraction) | N s / N sec / N seconds
const PATTERN = /\b(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)(?:\.(\d{1,3}))?\b|\b(\d{1,5}(?:\.\d{1,3})?)\s?(?:s|sec|secs|seconds?)\b/g;

export function splitTimestamps(text: string, durationSec: number | null): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(PATTERN)) {
    const start = m.index ?? 0;
    let sec: number;
    if (m[3] !== undefined) {
      const h = m[1] !== undefined ? Number(m[1]) : 0;
      const min = Number(m[2]);
      if (m[1] !== undefined && min > 59) continue;
      sec = h * 3600 + min * 60 + Number(m[3]) + (m[4] ? Number(`0.${m[4]}`) : 0);
    } else {
      sec = Number(m[5]);
    }
    if (!Number.isFinite(sec)) continue;
    if (durationSec !== null && sec > durationSec + 0.5) continue;
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) });
    out.push({ kind: 'time', text: m[0], sec });
    last = start + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}
