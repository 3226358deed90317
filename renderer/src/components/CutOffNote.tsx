// Says plainly that a video file is cut off: some sampled frames lie past where it really ends, and the model (like
// the filmstrip) sees the last frame that decoded in their place.
import type { SampledFrame } from '../../../electron/contract.ts';
import { countOf, formatClock } from '../lib/format.ts';

export function cutOffText(frames: readonly SampledFrame[]): string | null {
  const missing = frames.filter((f) => f.missing);
  if (!missing.length) return null;
  const from = Math.min(...missing.map((f) => f.timeSec));
  return `This file is cut off near ${formatClock(from)}: ${missing.length} of ${countOf(frames.length, 'sampled frame')} `
    + `could not be decoded, so the model sees the last frame that decoded in their place. Answers about the end of the video are unreliable.`;
}

export function CutOffNote({ frames }: { frames: readonly SampledFrame[] | null }) {
  const text = frames ? cutOffText(frames) : null;
  if (!text) return null;
  return (
    <p className="cutoff-note" role="note">
      <b>⚠ Cut-off video.</b> {text}
    </p>
  );
}
