// The per-answer wait for the first token: from the user's Enter when the service measured it (with where the time
// went), otherwise (answers stored before it was measured) the engine's own TTFT, labelled as such.
import type { TtftParts, TurnStats } from '../../../electron/contract.ts';
import { formatMs } from './format.ts';

const PART_LABELS: [Exclude<keyof TtftParts, 'visionReused'>, string][] = [
  ['framesMs', 'frames'],
  ['visionMs', 'vision'],
  ['prefixPrefillMs', 'video prefill'],
  ['questionPrefillMs', 'question prefill'],
  ['retrievalMs', 'retrieval'],
  ['otherMs', 'other'],
];

export interface FirstTokenText {
  /** After the label "first token": "after 2.95 s". */
  after: string;
  /** "frames 1.20 s · vision 300 ms · …" (every part, in order), or null without the breakdown. */
  parts: string | null;
  /** The tooltip: what the number measures and where the time went. */
  title: string;
}

export function firstTokenText(stats: TurnStats): FirstTokenText {
  const p = stats.ttftParts;
  if (stats.ttftFromAskMs === undefined || !p) {
    const ms = formatMs(stats.timings.ttftMs);
    return { after: `after ${ms} (engine)`, parts: null, title: `Time to first token inside the engine (vision, prefill): ${ms}; the wait from Enter was not measured for this answer` };
  }
  const parts = PART_LABELS.map(([k, label]) =>
    k === 'visionMs' && p.visionReused ? 'vision reused' : `${label} ${formatMs(Math.max(0, p[k]))}`).join(' · ');
  return {
    after: `after ${formatMs(stats.ttftFromAskMs)}`,
    parts,
    title: `From pressing Enter to the first answer token: ${parts}. "other" is waiting for other answers and the engine process, loading the model and messaging.${p.visionReused ? ' "vision reused": the frames\' encoding was kept from an earlier conversation or re-ask on this video.' : ''}`,
  };
}
