// Token saliency for towers that merge m x m patches into one LLM token (Qwen2.5-VL, Qwen3-VL): the merger
// concatenates the m² patch rows of a merged unit, which come one after the other in the tower's input (merge-block
// order), so each token's score is the mean of its m² patch scores.

/** Patch saliency [N] in merge-block order -> token saliency [N / unit] (unit = spatial_merge_size²). */
export function mergedTokenSaliency(patchSaliency: ArrayLike<number>, unit: number): Float32Array {
  if (!Number.isInteger(unit) || unit < 1) throw new Error(`mergedTokenSaliency: unit must be a positive integer, got ${unit}`);
  if (patchSaliency.length % unit !== 0) {
    throw new Error(`mergedTokenSaliency: ${patchSaliency.length} patch scores are not whole merged units of ${unit}`);
  }
  const out = new Float32Array(patchSaliency.length / unit);
  for (let t = 0; t < out.length; t++) {
    let s = 0;
    for (let j = 0; j < unit; j++) s += patchSaliency[t * unit + j];
    out[t] = s / unit;
  }
  return out;
}
