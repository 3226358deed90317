// SmoothQuant (Xiao et al. 2023) for linears fed by a LayerNorm: activation outliers live in a few input channels, so
// per-token int8 rounds everything else coarsely. A per-input-channel factor s moves that range into the weights,
//   x·Wᵀ = (x / s)·(W·diag(s))ᵀ,   s_j = max|X_j|^α / max|W_j|^(1-α)   (max over calibration rows / over the linears'
// output rows), and x / s costs nothing at run time: it is folded into the LayerNorm's weight and bias.

/** Both maxima are floored here (as in SmoothQuant's code) so a dead channel gets a finite factor. */
const FLOOR = 1e-5;

/** Per-channel max |x| over the rows of x [rows, cols], folded into `into` (running max). */
export function accumulateAbsMax(into: Float32Array, x: Float32Array, rows: number): void {
  const cols = into.length;
  if (x.length !== rows * cols) throw new Error(`accumulateAbsMax: ${rows} rows of ${cols} need ${rows * cols} values, got ${x.length}`);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = Math.abs(x[o + c]);
      if (v > into[c]) into[c] = v;
    }
  }
}

/** The smoothing factors of the linears `weights` ([out_i, cols] each) that share the input with maxima `actMax`. */
export function smoothingFactors(actMax: Float32Array, weights: readonly Float32Array[], alpha: number): Float32Array {
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`SmoothQuant: alpha must be in [0, 1], got ${alpha}`);
  const cols = actMax.length;
  const wMax = new Float32Array(cols);
  for (const w of weights) {
    if (w.length % cols !== 0) throw new Error(`SmoothQuant: a weight of ${w.length} values is not rows of ${cols}`);
    accumulateAbsMax(wMax, w, w.length / cols);
  }
  return Float32Array.from(actMax, (a, j) => Math.max(a, FLOOR) ** alpha / Math.max(wMax[j], FLOOR) ** (1 - alpha));
}

/** W · diag(s): every row of w [rows, s.length] times s, columnwise (a new array). */
export function scaleColumns(w: Float32Array, s: Float32Array): Float32Array {
  const cols = s.length, out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i] * s[i % cols];
  return out;
}

/** v / s elementwise (a LayerNorm's weight or bias with the smoothing folded in). */
export function divide(v: Float32Array, s: Float32Array): Float32Array {
  if (v.length !== s.length) throw new Error(`SmoothQuant: ${v.length} norm values vs ${s.length} factors`);
  return Float32Array.from(v, (x, i) => x / s[i]);
}
