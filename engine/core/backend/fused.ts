// Optional fused decode ops a backend may offer (the CUDA backend does). Model code asks with fusedDecodeOps(be)
// and falls back to the plain Backend ops when it gets null, or when a method returns null (shape not supported).
// Each op computes exactly what its plain-op sequence computes (up to float rounding).
import type { Backend, KvCache, Tensor } from './backend.ts';

export interface FusedDecodeOps {
  /** For each i: linear(rmsNorm(x, normW, eps), ws[i], bs[i]), in one pass over the weights. */
  normLinears(x: Tensor, normW: Tensor, eps: number, ws: readonly Tensor[], bs: readonly (Tensor | undefined)[]): Tensor[] | null;
  /** siluMul(linear(rmsNorm(x, normW, eps), gate), linear(rmsNorm(x, normW, eps), up)): the SwiGLU hidden
   *  activation in one pass over both weights, without the gate/up intermediates. */
  normSwiGlu(x: Tensor, normW: Tensor, eps: number, gate: Tensor, up: Tensor): Tensor | null;
  /** add(res, linear(x, w)). */
  linearResidual(x: Tensor, w: Tensor, res: Tensor): Tensor | null;
  /** add(res, linear(siluMul(gate, up), w)). */
  siluMulLinearResidual(gate: Tensor, up: Tensor, w: Tensor, res: Tensor): Tensor | null;
  /** rope(q, heads) is returned; rope(k, kvHeads) and v are written with kvWrite(cache, layer, ·, ·, at). */
  ropeKvWrite(cache: KvCache, layer: number, q: Tensor, k: Tensor, v: Tensor, heads: number, positions: Int32Array,
    invFreq: Float32Array, at: number): Tensor | null;
  /** Greedy sampling without downloading the logits: per row of x [rows, V], the index of its largest value
   *  (ties -> the lowest index, as a host loop with `>` finds it). */
  argmaxRows(x: Tensor): Int32Array | null;
}

/** The backend's fused decode ops, or null when it has none (or they are switched off). */
export function fusedDecodeOps(be: Backend): FusedDecodeOps | null {
  const f = (be as Backend & { fusedDecode?: () => FusedDecodeOps | null }).fusedDecode;
  return typeof f === 'function' ? f.call(be) : null;
}
