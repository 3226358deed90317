// Per-token classes the inspector paints: which visual tokens prefill pruned, which stayed in the KV cache, and which
// decode retrieved this turn (at one layer, or at any layer).
import type { InspectorTurn } from '../../../electron/contract.ts';

export const PRUNED = 0;
export const RETAINED = 1;
export const RETRIEVED = 2;

export type LayerView = number | 'any';

/** One class per visual token (frames*gridH*gridW), for the given layer or the union over layers. */
export function tokenClasses(turn: InspectorTurn, layer: LayerView): Uint8Array {
  const n = turn.frames * turn.gridH * turn.gridW;
  const cls = new Uint8Array(n); // PRUNED by default
  for (const v of turn.retained) if (v >= 0 && v < n) cls[v] = RETAINED;
  const lists = layer === 'any' ? turn.retrievedByLayer : turn.retrievedByLayer[layer] ? [turn.retrievedByLayer[layer]] : [];
  for (const list of lists) for (const v of list) if (v >= 0 && v < n && cls[v] !== PRUNED) cls[v] = RETRIEVED;
  return cls;
}

/** How many layers retrieved each token (0 for none); used to shade the union view. */
export function retrievalDepth(turn: InspectorTurn): Uint16Array {
  const n = turn.frames * turn.gridH * turn.gridW;
  const depth = new Uint16Array(n);
  for (const list of turn.retrievedByLayer) for (const v of list) if (v >= 0 && v < n) depth[v]++;
  return depth;
}

/** Saliency mapped to [0, 1] with a robust max (99th percentile), or null when the turn has none. */
export function normalizedSaliency(turn: InspectorTurn): Float32Array | null {
  if (!turn.saliency || turn.saliency.length === 0) return null;
  const s = Float32Array.from(turn.saliency);
  const sorted = Float32Array.from(s).sort();
  const lo = sorted[0];
  const hi = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
  const span = hi - lo || 1;
  for (let i = 0; i < s.length; i++) s[i] = Math.min(1, Math.max(0, (s[i] - lo) / span));
  return s;
}

export interface FrameCounts {
  retained: number;
  retrieved: number;
}

/** Retained / retrieved counts per frame for the timeline. */
export function countsPerFrame(turn: InspectorTurn, cls: Uint8Array): FrameCounts[] {
  const per = turn.gridH * turn.gridW;
  const out: FrameCounts[] = [];
  for (let f = 0; f < turn.frames; f++) {
    let retained = 0;
    let retrieved = 0;
    for (let i = f * per; i < (f + 1) * per; i++) {
      if (cls[i] !== PRUNED) retained++;
      if (cls[i] === RETRIEVED) retrieved++;
    }
    out.push({ retained, retrieved });
  }
  return out;
}
