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

/** The idx-th smallest value of `a` (reorders `a`): quickselect with a three-way partition, so runs of equal values
 *  cannot make it quadratic. */
function kthSmallest(a: Float64Array, idx: number): number {
  let lo = 0, hi = a.length - 1;
  while (lo < hi) {
    const x0 = a[lo], x1 = a[(lo + hi) >> 1], x2 = a[hi];
    const pivot = x0 < x1 ? (x1 < x2 ? x1 : x0 < x2 ? x2 : x0) : (x0 < x2 ? x0 : x1 < x2 ? x2 : x1);
    let lt = lo, i = lo, gt = hi;
    while (i <= gt) {
      const x = a[i];
      if (x < pivot) { a[i] = a[lt]; a[lt++] = x; i++; }
      else if (x > pivot) { a[i] = a[gt]; a[gt--] = x; }
      else i++;
    }
    if (idx < lt) hi = lt - 1;
    else if (idx > gt) lo = gt + 1;
    else return pivot;
  }
  return a[lo];
}

/** Positions (into `scores`) of the k best scores, ties to the lower position, ascending. NaN ranks last. */
export function topKAscending(scores: ArrayLike<number>, k: number): Int32Array {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 0) throw new Error(`topK: k must be a non-negative integer, got ${k}`);
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  if (k === 0) return new Int32Array(0);
  // The k-th best value by quickselect (a comparator sort of indices cost ~0.7 ms per 3k scores, and retrieval runs
  // it per layer per turn), then one ascending pass: everything above it, and as many equal to it as fit, lowest first.
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Number.isNaN(scores[i]) ? -Infinity : scores[i];
  const threshold = kthSmallest(v, n - k);  // reorders v; the passes below read `scores`
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  let above = 0;
  for (let i = 0; i < n; i++) if (key(i) > threshold) above++;
  let ties = k - above;
  const out = new Int32Array(k);
  for (let i = 0, o = 0; i < n && o < k; i++) {
    const x = key(i);
    if (x > threshold) out[o++] = i;
    else if (x === threshold && ties > 0) { out[o++] = i; ties--; }
  }
  return out;
}

export interface PrefillSelectOptions {
  sparsity: number;
  frames: number;
  tokensPerFrame: number;
  /** Every frame keeps at least min(floor, tokensPerFrame) tokens; the global budget grows if the floors exceed it. */
  perFrameFloor?: number;
}

/** How many visual tokens prefill pruning keeps: the global budget round((1 - sparsity) * n), raised to the per-frame
 *  floors when they add up to more. The engine's selection and the app's memory estimate both count with this. */
export function prefillKeepCount(opts: PrefillSelectOptions): number {
  const floor = Math.min(opts.perFrameFloor ?? 0, opts.tokensPerFrame);
  if (!Number.isInteger(floor) || floor < 0) throw new Error(`perFrameFloor must be a non-negative integer, got ${opts.perFrameFloor}`);
  return Math.max(keepCount(opts.frames * opts.tokensPerFrame, opts.sparsity), opts.frames * floor);
}

/** Prefill pruning: indices (into the frame-major visual tokens) kept by global top-k with an optional per-frame floor. */
export function selectPrefillTokens(tokenSaliency: ArrayLike<number>, opts: PrefillSelectOptions): Int32Array {
  const { frames, tokensPerFrame } = opts;
  const n = frames * tokensPerFrame;
  if (tokenSaliency.length !== n) {
    throw new Error(`prefill pruning: ${tokenSaliency.length} saliency scores for ${frames} frames x ${tokensPerFrame} tokens`);
  }
  const kept = prefillKeepCount(opts);
  const floor = Math.min(opts.perFrameFloor ?? 0, tokensPerFrame);
  if (floor === 0) return topKAscending(tokenSaliency, kept);

  const taken = new Uint8Array(n);
  let count = 0;
  for (let f = 0; f < frames; f++) {
    const slice = Array.prototype.slice.call(tokenSaliency, f * tokensPerFrame, (f + 1) * tokensPerFrame) as number[];
    for (const i of topKAscending(slice, floor)) {
      taken[f * tokensPerFrame + i] = 1;
      count++;
    }
  }
  const rest = kept - count;
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

/** Decode retrieval's budget over M retained visual tokens: round((1 - r) * M), never below min(minRetrieved, M). */
export function retrievalBudget(m: number, sparsity: number, minRetrieved = 1): number {
  if (!Number.isInteger(minRetrieved) || minRetrieved < 0) throw new Error(`minRetrieved must be a non-negative integer, got ${minRetrieved}`);
  return Math.max(keepCount(m, sparsity), Math.min(minRetrieved, m));
}

/** Decode retrieval for one layer: the top round((1 - r) * M) of M candidates by score. */
export function selectRetrieved(candidates: Int32Array, scores: ArrayLike<number>, sparsity: number): RetrievalSelection {
  return selectTopCandidates(candidates, scores, keepCount(candidates.length, sparsity));
}

/** The k candidates with the best scores (ties to the lower position), ascending, with their share of the score mass. */
export function selectTopCandidates(candidates: Int32Array, scores: ArrayLike<number>, k: number): RetrievalSelection {
  if (scores.length !== candidates.length) {
    throw new Error(`retrieval: ${scores.length} scores for ${candidates.length} candidates`);
  }
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

/** Attention-mass budget: the fewest best-scoring candidates whose scores hold `mass` of the total, kept within
 *  [minCount, maxCount] (ties to the lower position, as topKAscending). */
export function selectByMass(candidates: Int32Array, scores: ArrayLike<number>, mass: number, minCount: number, maxCount: number): RetrievalSelection {
  if (!(mass > 0 && mass <= 1)) throw new Error(`retrieval mass must be in (0, 1], got ${mass}`);
  if (!(Number.isInteger(minCount) && Number.isInteger(maxCount) && 0 <= minCount && minCount <= maxCount)) {
    throw new Error(`selectByMass: need integers 0 <= minCount (${minCount}) <= maxCount (${maxCount})`);
  }
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  order.sort((a, b) => key(b) - key(a) || a - b);
  let total = 0;
  for (let i = 0; i < n; i++) if (scores[i] > 0) total += scores[i];
  let k = 0, held = 0;
  while (k < n && held < mass * total * (1 - 1e-12)) held += Math.max(0, scores[order[k++]]);
  return selectTopCandidates(candidates, scores, Math.min(n, Math.max(minCount, Math.min(k, maxCount))));
}
