// The engine core's per-turn results in the UI contract's shapes (electron/contract.ts), field by field, with what
// only the app knows: the conversation's turn number (edits and regenerations renumber turns) and missing frames.
import type { InspectorTurn, Timings, TurnStats } from '../../../electron/contract.ts';
import type * as core from '../../core/sparse/stats.ts';

function contractTimings(t: core.Timings, prefixPrefillMs?: number): Timings {
  return {
    visionMs: t.visionMs, prefillMs: t.prefillMs, retrievalMs: t.retrievalMs, decodeMs: t.decodeMs, ttftMs: t.ttftMs,
    totalMs: t.totalMs, tokensPerSec: t.tokensPerSec, ...(prefixPrefillMs !== undefined ? { prefixPrefillMs } : {}),
  };
}

/** prefixPrefillMs: the part of the turn's prefill spent on the video prefix (core TurnMeasure.prefixPrefillMs). */
export function contractTurnStats(s: core.TurnStats, turn: number, missingFrames: number, prefixPrefillMs?: number): TurnStats {
  return {
    turn,
    policy: s.policy,
    tokens: s.tokens,
    visualTokensTotal: s.visualTokensTotal,
    visualTokensRetained: s.visualTokensRetained,
    visualTokensRetrieved: s.visualTokensRetrieved,
    kvBytes: s.kvBytes,
    retrievedMassShare: s.retrievedMassShare,
    timings: contractTimings(s.timings, prefixPrefillMs),
    denseTimings: s.denseTimings ? contractTimings(s.denseTimings) : null,
    speedupVsDense: s.speedupVsDense,
    ...(missingFrames > 0 ? { missingFrames } : {}),
  };
}

/** The inspector's turn; `stats` already in the contract's shape. */
export function contractInspectorTurn(i: core.InspectorTurn, stats: TurnStats, massShareByLayer: number[] | null): InspectorTurn {
  return {
    turn: stats.turn, frames: i.frames, gridH: i.gridH, gridW: i.gridW, frameTimes: i.frameTimes, saliency: i.saliency,
    retained: i.retained, retrievedByLayer: i.retrievedByLayer, massShareByLayer,
    ...(i.retrievalTimeline ? { retrievalTimeline: i.retrievalTimeline } : {}), stats,
    ...(i.framesPerGroup ? { framesPerGroup: i.framesPerGroup, sampledFrameTimes: i.sampledFrameTimes } : {}),
  };
}
