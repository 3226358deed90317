// Per-turn statistics: the engine core's own types (the app service maps them to the UI contract's shapes), the
// inspector's view of a turn.
import type { PolicyName } from './policy.ts';

/** One turn's timings, the same definitions in the app, `chat --json`, `bench` and `eval`. */
export interface Timings {
  visionMs: number;
  /** LLM prefill: the retained prefix (turn 1 only) + this turn's question, without the retrieval scoring in it. */
  prefillMs: number;
  retrievalMs: number;
  decodeMs: number;
  /** From the question to the first answer token; turn 1 includes vision encoding and the prefix prefill. */
  ttftMs: number;
  totalMs: number;
  /** Decode rate: tokens after the first (and the step that produced EOS) over decodeMs. */
  tokensPerSec: number;
}

export interface TurnStats {
  turn: number;
  policy: PolicyName;
  tokens: number;
  visualTokensTotal: number;
  visualTokensRetained: number;
  /** Mean over layers of the visual tokens decode attended to this turn. */
  visualTokensRetrieved: number;
  kvBytes: number;
  /** Share of dense attention mass (over retained visual tokens) that the retrieved set captured, mean over layers. */
  retrievedMassShare: number | null;
  timings: Timings;
  /** Dense run of the same turn, when measured. */
  denseTimings: Timings | null;
  speedupVsDense: number | null;
}

/** What the inspector draws for one turn. Visual token v is (frame, row, col) in the pooled grid, row-major. */
export interface InspectorTurn {
  turn: number;
  frames: number;
  gridH: number;
  gridW: number;
  frameTimes: number[];
  /** Token saliency [frames*gridH*gridW] (prefill scores), or null under dense. */
  saliency: number[] | null;
  /** Retained visual token ids (ascending). */
  retained: number[];
  /** Per LLM layer: retrieved visual token ids this turn (subset of retained). Empty lists under dense. */
  retrievedByLayer: number[][];
  /** When what decode read changed during the answer (retrieval 'refresh' / 'pages'): per change, from which generated
   *  token on, and per frame the visual tokens read (mean over layers). Null when one set served the whole answer. */
  retrievalTimeline: RetrievalTimelineEntry[] | null;
  /** Qwen-VL: each of `frames` is a group of this many sampled frames (the temporal patch), `frameTimes` the groups'
   *  times and this every sampled frame's own. */
  framesPerGroup?: number;
  sampledFrameTimes?: number[];
  stats: TurnStats;
}

/** A change of what decode reads during an answer (retrieval 'refresh' and 'pages'). */
export interface RetrievalChange {
  /** Index of the first generated token (0 = the answer's first, which the question's prefill produced) computed with
   *  this selection. */
  fromToken: number;
  /** Per layer: positions into the turn's retained visual tokens (retainedIds) read, ascending. */
  byLayer: Int32Array[];
}

export interface RetrievalTimelineEntry {
  fromToken: number;
  readPerFrame: number[];
}

/** Per change, the mean over layers of the tokens read in each frame (frame of visual id v: floor(v / perFrame)). */
export function retrievalTimeline(m: TurnMeasure, frames: number, perFrame: number): RetrievalTimelineEntry[] | null {
  if (!m.timeline) return null;
  return m.timeline.map((e) => {
    const read = new Array<number>(frames).fill(0);
    for (const pos of e.byLayer) for (const p of pos) read[Math.floor(m.retainedIds[p] / perFrame)] += 1 / e.byLayer.length;
    return { fromToken: e.fromToken, readPerFrame: read.map((x) => Math.round(x * 100) / 100) };
  });
}

export interface TurnMeasure {
  turn: number;
  policy: PolicyName;
  /** Generated tokens. */
  tokens: number;
  visualTotal: number;
  /** Visual token ids in the KV cache this turn (ascending). */
  retainedIds: Int32Array;
  /** Per LLM layer, the visual ids decode attended to; null when decode attended to every retained token. */
  retrievedByLayer: Int32Array[] | null;
  /** Per layer share of the dense attention mass (over retained visual tokens) the retrieved set holds. */
  massShareByLayer: number[] | null;
  /** When what decode read changed during the answer: each change (retrievedByLayer is then their union). */
  timeline: RetrievalChange[] | null;
  kvBytes: number;
  /** The part of timings.prefillMs spent on the retained prefix (turn 1 only; 0 later). */
  prefixPrefillMs: number;
  timings: Timings;
  denseTimings: Timings | null;
}

export function makeTimings(t: { visionMs: number; prefillMs: number; retrievalMs: number; decodeMs: number; ttftMs: number; tokens: number }): Timings {
  const totalMs = t.visionMs + t.prefillMs + t.retrievalMs + t.decodeMs;
  // The first token comes from the prefill's logits; decode produces the rest.
  const decoded = Math.max(0, t.tokens - 1);
  return {
    visionMs: t.visionMs,
    prefillMs: t.prefillMs,
    retrievalMs: t.retrievalMs,
    decodeMs: t.decodeMs,
    ttftMs: t.ttftMs,
    totalMs,
    tokensPerSec: decoded > 0 && t.decodeMs > 0 ? (decoded * 1000) / t.decodeMs : 0,
  };
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function turnStats(m: TurnMeasure): TurnStats {
  const retained = m.retainedIds.length;
  return {
    turn: m.turn,
    policy: m.policy,
    tokens: m.tokens,
    visualTokensTotal: m.visualTotal,
    visualTokensRetained: retained,
    visualTokensRetrieved: m.retrievedByLayer ? mean(m.retrievedByLayer.map((r) => r.length)) : retained,
    kvBytes: m.kvBytes,
    retrievedMassShare: m.massShareByLayer ? mean(m.massShareByLayer) : null,
    timings: m.timings,
    denseTimings: m.denseTimings,
    speedupVsDense: m.denseTimings && m.timings.totalMs > 0 ? m.denseTimings.totalMs / m.timings.totalMs : null,
  };
}

export interface InspectorFrameInfo {
  frames: number;
  gridH: number;
  gridW: number;
  frameTimes: readonly number[];
  /** Token saliency (null under dense). */
  saliency: Float32Array | null;
}

export function inspectorTurn(m: TurnMeasure, f: InspectorFrameInfo): InspectorTurn {
  return {
    turn: m.turn,
    frames: f.frames,
    gridH: f.gridH,
    gridW: f.gridW,
    frameTimes: [...f.frameTimes],
    saliency: f.saliency ? Array.from(f.saliency) : null,
    retained: Array.from(m.retainedIds),
    retrievedByLayer: m.retrievedByLayer ? m.retrievedByLayer.map((r) => Array.from(r)) : [],
    retrievalTimeline: retrievalTimeline(m, f.frames, f.gridH * f.gridW),
    stats: turnStats(m),
  };
}
