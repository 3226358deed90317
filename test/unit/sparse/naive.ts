// Float64 full-matrix references for the sparse tests (deliberately the slow, obvious computation).

/** s[j] = mean over heads and query rows of softmax_j(q_i·k_j·scale), materializing every row in float64. */
export function naiveColumnMean(q: Float32Array, k: Float32Array, heads: number, headDim: number, scale: number): Float64Array {
  const width = heads * headDim;
  const rowsQ = q.length / width;
  const rowsK = k.length / width;
  const out = new Float64Array(rowsK);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < rowsQ; i++) {
      const row = new Float64Array(rowsK);
      let max = -Infinity;
      for (let j = 0; j < rowsK; j++) {
        let s = 0;
        for (let c = 0; c < headDim; c++) s += q[i * width + h * headDim + c] * k[j * width + h * headDim + c];
        row[j] = s * scale;
        max = Math.max(max, row[j]);
      }
      let sum = 0;
      for (let j = 0; j < rowsK; j++) sum += (row[j] = Math.exp(row[j] - max));
      for (let j = 0; j < rowsK; j++) out[j] += row[j] / sum;
    }
  }
  for (let j = 0; j < rowsK; j++) out[j] /= heads * rowsQ;
  return out;
}

/** Deterministic pseudo-random floats in [-amp, amp) (mulberry32). */
export function randomFloats(n: number, seed: number, amp = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * amp;
  }
  return out;
}
