// Top-k selection rules shared by prefill pruning and decode retrieval (project definitions, binding):
// keep round((1 - sparsity) * n); ties go to the lower index; results are returned in ascending index order.

export function checkSparsity(name: string, s: number): void {
  if (!Number.isFinite(s) || s < 0 || s >= 1) throw new Error(`${name} must be in [0, 1), got ${s}`);
}

/** How many of n items survive at this sparsity: round((1 - sparsity) * n). */
export function keepCount(n: number, sparsity: number): number {
  checkSparsity('sparsity', sparsity);
  // The tiny epsilon guards against (1 - 0.9) * 10 = 0.9999999999999998-style float artefacts before rounding.
  return Math.min(n, Math.max(0, Math.round((1 - sparsity) * n + 1e-9)));
}

/** Positions (into `scores`) of the k best scores, ties to the lower position, ascending. NaN ranks last. */
export function topKAscending(scores: ArrayLike<number>, k: number): Int32Array {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 0) throw new Error(`topK: k must be a non-negative integer, got ${k}`);
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  order.sort((a, b) => {
    const d = key(b) - key(a);
    return d > 0 ? 1 : d < 0 ? -1 : a - b;
  });
  return order.subarray(0, k).sort();
}

export interface PrefillSelectOptions {
  sparsity: number;
  frames: number;
  tokensPerFrame: number;
  /** Every frame keeps at least min(floor, tokensPerFrame) tokens; the global budget grows if the floors exceed it. */
  perFrameFloor?: number;
}

/** Prefill pruning: indices (into the frame-major visual tokens) kept by global top-k with an optional per-frame floor. */
export function selectPrefillTokens(tokenSaliency: ArrayLike<number>, opts: PrefillSelectOptions): Int32Array {
  const { frames, tokensPerFrame } = opts;
  const n = frames * tokensPerFrame;
  if (tokenSaliency.length !== n) {
    throw new Error(`prefill pruning: ${tokenSaliency.length} saliency scores for ${frames} frames x ${tokensPerFrame} tokens`);
  }
  const budget = keepCount(n, opts.sparsity);
  const floor = Math.min(opts.perFrameFloor ?? 0, tokensPerFrame);
  if (!Number.isInteger(floor) || floor < 0) throw new Error(`perFrameFloor must be a non-negative integer, got ${opts.perFrameFloor}`);
  if (floor === 0) return topKAscending(tokenSaliency, budget);

  const taken = new Uint8Array(n);
  let count = 0;
  for (let f = 0; f < frames; f++) {
    const slice = Array.prototype.slice.call(tokenSaliency, f * tokensPerFrame, (f + 1) * tokensPerFrame) as number[];
    for (const i of topKAscending(slice, floor)) {
      taken[f * tokensPerFrame + i] = 1;
      count++;
    }
  }
  const rest = Math.max(0, budget - count);
  if (rest > 0) {
    const restIdx: number[] = [];
    const restScores: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!taken[i]) {
        restIdx.push(i);
        restScores.push(tokenSaliency[i]);
      }
    }
    for (const j of topKAscending(restScores, rest)) taken[restIdx[j]] = 1;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (taken[i]) out.push(i);
  return Int32Array.from(out);
}

export interface RetrievalSelection {
  /** Selected candidates (values from `candidates`), ascending. */
  selected: Int32Array;
  /** Share of the candidates' total score mass that the selected set holds (1 when all are kept or mass is 0). */
  massShare: number;
}

/** Decode retrieval for one layer: the top round((1 - r) * M) of M candidates by score. */
export function selectRetrieved(candidates: Int32Array, scores: ArrayLike<number>, sparsity: number): RetrievalSelection {
  if (scores.length !== candidates.length) {
    throw new Error(`retrieval: ${scores.length} scores for ${candidates.length} candidates`);
  }
  const k = keepCount(candidates.length, sparsity);
  const pos = topKAscending(scores, k);
  const selected = new Int32Array(pos.length);
  let total = 0;
  let kept = 0;
  for (let i = 0; i < scores.length; i++) total += scores[i];
  for (let i = 0; i < pos.length; i++) {
    selected[i] = candidates[pos[i]];
    kept += scores[pos[i]];
  }
  selected.sort();
  return { selected, massShare: total > 0 ? kept / total : 1 };
}
