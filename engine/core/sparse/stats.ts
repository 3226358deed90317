// Per-turn statistics in the contract's shapes (TurnStats for messages, InspectorTurn for the inspector) and the
// snake_case form `sparsevila chat --json` prints.
import type { InspectorTurn, PolicyName, Timings, TurnStats } from '../../../electron/contract.ts';

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
  kvBytes: number;
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
    stats: turnStats(m),
  };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

/** camelCase keys -> snake_case, recursively (for the CLI's --json lines). */
export function snakeCaseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeCaseKeys);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeCaseKeys(x)]));
  }
  return v;
}

/** The sparse fields of a `sparsevila chat --json` line (snake_case), merged into the CLI's per-turn object. */
export function sparseTurnJson(m: TurnMeasure, gridH: number, gridW: number): Record<string, unknown> {
  const s = turnStats(m);
  const per = gridH * gridW;
  const cell = (v: number) => [Math.floor(v / per), Math.floor((v % per) / gridW), v % gridW];
  return {
    policy: m.policy,
    visual_tokens_retained: m.retainedIds.length,
    visual_tokens_retrieved: s.visualTokensRetrieved,
    retrieved_mass_share: s.retrievedMassShare,
    stats: snakeCaseKeys(s),
    /** Retained visual tokens as [frame, row, col] of the pooled grid. */
    retained_cells: Array.from(m.retainedIds, cell),
    retrieved_by_layer: m.retrievedByLayer ? m.retrievedByLayer.map((r) => Array.from(r)) : null,
    mass_share_by_layer: m.massShareByLayer,
  };
}
