// Per-token classes the inspector paints: which visual tokens prefill pruned, which stayed in the KV cache, and which
// decode retrieved this turn (at one layer, or at any layer).
import type { InspectorTurn } from '../../../electron/contract.ts';

export const PRUNED = 0;
/** In the cache but not read at this layer this turn (only a turn with decode retrieval has these). */
export const RETAINED = 1;
/** Retrieved this turn: decode read it (at this layer, or at some layer in the any-layer view). */
export const RETRIEVED = 2;
/** No retrieval this turn (dense, prefill-only, query-prune after turn 1): every kept token is read at every layer. */
export const READ_ALL = 3;

export type TokenClass = typeof PRUNED | typeof RETAINED | typeof RETRIEVED | typeof READ_ALL;
export type LayerView = number | 'any';

/** One class per visual token (frames*gridH*gridW), for the given layer or the union over layers. */
export function tokenClasses(turn: InspectorTurn, layer: LayerView): Uint8Array {
  const n = turn.frames * turn.gridH * turn.gridW;
  const cls = new Uint8Array(n); // PRUNED by default
  const retrieval = turn.retrievedByLayer.length > 0;
  for (const v of turn.retained) if (v >= 0 && v < n) cls[v] = retrieval ? RETAINED : READ_ALL;
  const lists = layer === 'any' ? turn.retrievedByLayer : turn.retrievedByLayer[layer] ? [turn.retrievedByLayer[layer]] : [];
  for (const list of lists) for (const v of list) if (v >= 0 && v < n && cls[v] !== PRUNED) cls[v] = RETRIEVED;
  return cls;
}

/** Decode read the token this turn (at the layer shown). */
export const isRead = (c: number) => c === RETRIEVED || c === READ_ALL;

/**
 * What each class means in this turn, in words true to its policy; null where the class cannot occur.
 * query-prune's one retrieval (turn 1) deletes what it does not pick, for good; later turns read the survivors.
 */
export function classLabels(turn: InspectorTurn): Record<TokenClass, string | null> {
  const retrieval = turn.retrievedByLayer.length > 0;
  const somePruned = turn.retained.length < turn.frames * turn.gridH * turn.gridW;
  switch (turn.stats.policy) {
    case 'dense':
      return { [PRUNED]: somePruned ? 'not in the cache' : null, [RETAINED]: null, [RETRIEVED]: null, [READ_ALL]: 'read at every layer (dense: nothing pruned, no retrieval)' };
    case 'prefill-only':
      return { [PRUNED]: 'pruned at prefill', [RETAINED]: null, [RETRIEVED]: null, [READ_ALL]: 'kept, read at every layer (no retrieval)' };
    case 'query-prune':
      return retrieval
        ? { [PRUNED]: 'pruned at prefill', [RETAINED]: 'deleted for good by this question', [RETRIEVED]: 'kept by this question, read', [READ_ALL]: null }
        : { [PRUNED]: 'pruned at prefill or deleted by turn 1’s question', [RETAINED]: null, [RETRIEVED]: null, [READ_ALL]: 'left after turn 1, read at every layer' };
    default:
      return retrieval
        ? { [PRUNED]: 'pruned at prefill', [RETAINED]: 'kept, not read this turn', [RETRIEVED]: 'retrieved this turn', [READ_ALL]: null }
        : { [PRUNED]: 'pruned at prefill', [RETAINED]: null, [RETRIEVED]: null, [READ_ALL]: 'kept, read at every layer' };
  }
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
  /** Read at decode (retrieved, or every kept token when the turn had no retrieval). */
  retrieved: number;
}

/** Retained / read counts per frame for the timeline. */
export function countsPerFrame(turn: InspectorTurn, cls: Uint8Array): FrameCounts[] {
  const per = turn.gridH * turn.gridW;
  const out: FrameCounts[] = [];
  for (let f = 0; f < turn.frames; f++) {
    let retained = 0;
    let retrieved = 0;
    for (let i = f * per; i < (f + 1) * per; i++) {
      if (cls[i] !== PRUNED) retained++;
      if (isRead(cls[i])) retrieved++;
    }
    out.push({ retained, retrieved });
  }
  return out;
}

export interface RetrievalOverlap {
  /** Read by both turns: stable picks (the paper's "visual attention sinks" show up here). */
  both: number;
  onlyA: number;
  onlyB: number;
}

/**
 * Which visual tokens two turns' decode read, at one layer or at any layer; null when either turn had no retrieval
 * (dense, prefill-only: it read every kept token) or the turns are over different videos/frame counts.
 */
export function retrievalOverlap(a: InspectorTurn, b: InspectorTurn, layer: LayerView): RetrievalOverlap | null {
  if (!a.retrievedByLayer.length || !b.retrievedByLayer.length) return null;
  if (a.frames !== b.frames || a.gridH !== b.gridH || a.gridW !== b.gridW) return null;
  const read = (t: InspectorTurn) => {
    const cls = tokenClasses(t, layer === 'any' ? 'any' : Math.min(layer, t.retrievedByLayer.length - 1));
    const out = new Set<number>();
    for (let i = 0; i < cls.length; i++) if (cls[i] === RETRIEVED) out.add(i);
    return out;
  };
  const ra = read(a), rb = read(b);
  let both = 0;
  for (const v of ra) if (rb.has(v)) both++;
  return { both, onlyA: ra.size - both, onlyB: rb.size - both };
}
