// Symmetric int8 quantization by rows, the W8A8 arithmetic of Backend.weightI8 / linear: a weight W [out, in] per
// output channel (each row its own scale) at load, an activation x [M, K] per token (each row) on every call, and the
// product in integers: y[m][n] = (Σ_k qx[m][k]·qw[n][k]) · sx[m] · sw[n] + b[n]. Everything is float32 as in
// onnxruntime's QuantizeLinear (q = round-half-even(v / s), s = max|row| / 127), so this is the CPU backend's plain-JS
// reference, exact up to the order of the final float multiplications.
import type { I8Weight } from '../backend/backend.ts';

/** The smallest row scale: an all-zero row quantizes to zeros instead of dividing by zero. */
export const MIN_ABS_MAX = 1e-30;

const f = Math.fround;

/** Round half to even (ONNX QuantizeLinear / Round, C's nearbyint). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-row scales max(|row|, MIN_ABS_MAX) / 127 and codes in [-127, 127]. */
export function quantizeRowsI8(x: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  if (x.length !== rows * cols) throw new Error(`quantizeRowsI8: ${rows} x ${cols} needs ${rows * cols} values, got ${x.length}`);
  const q = new Int8Array(rows * cols), scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(x[o + c]));
    if (!Number.isFinite(m)) throw new Error(`quantizeRowsI8: row ${r} holds a non-finite value`);
    const s = f(f(Math.max(m, MIN_ABS_MAX)) / 127);
    scales[r] = s;
    for (let c = 0; c < cols; c++) q[o + c] = Math.max(-127, Math.min(127, roundHalfEven(f(x[o + c] / s))));
  }
  return { q, scales };
}

/** A weight [out, in] as Backend.weightI8 takes it. */
export function quantizeWeightI8(w: Float32Array, out: number, inF: number): I8Weight {
  const { q, scales } = quantizeRowsI8(w, out, inF);
  return { out, in: inF, q, scales };
}

/** The dequantized weight q · s (what the int8 weight stands for). */
export function dequantizeI8(w: I8Weight): Float32Array {
  const out = new Float32Array(w.out * w.in);
  for (let n = 0; n < w.out; n++) for (let k = 0; k < w.in; k++) out[n * w.in + k] = w.q[n * w.in + k] * w.scales[n];
  return out;
}

/** Checks an I8Weight's array sizes (a clear error for a malformed one). */
export function checkI8Weight(w: I8Weight): void {
  if (!(Number.isInteger(w.out) && Number.isInteger(w.in) && w.out > 0 && w.in > 0)) throw new Error(`int8 weight: bad shape [${w.out}, ${w.in}]`);
  if (w.q.length !== w.out * w.in) throw new Error(`int8 weight [${w.out}, ${w.in}]: ${w.q.length} codes, needs ${w.out * w.in}`);
  if (w.scales.length !== w.out) throw new Error(`int8 weight [${w.out}, ${w.in}]: ${w.scales.length} scales, needs ${w.out}`);
}

/** The plain-JS W8A8 linear: x [M, K] quantized per row, integer dot products, then the two scales and the bias. */
export function linearI8Reference(x: Float32Array, M: number, w: I8Weight, b?: Float32Array): Float32Array {
  checkI8Weight(w);
  const K = w.in, N = w.out;
  const a = quantizeRowsI8(x, M, K);
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a.q[m * K + k] * w.q[n * K + k];
      y[m * N + n] = f(f(f(acc) * a.scales[m]) * w.scales[n]) + (b ? b[n] : 0);
    }
  }
  return y;
}
