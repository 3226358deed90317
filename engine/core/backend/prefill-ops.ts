// Optional backend ops for many-row (prefill) layers: RMSNorm and the SwiGLU MLP input computed in 16 bits. A backend offers them
// through `prefillOps()`; null (or absent) means the model uses the plain ops.
import type { Backend, KvCache, Tensor } from './backend.ts';

export interface PrefillOps {
  /** RMSNorm of f32 rows written in the 16-bit weight dtype (the input of the following GEMMs). */
  rmsNorm16(x: Tensor, w: Tensor, eps: number): Tensor;
  /** SiLU(x · gateᵀ) * (x · upᵀ), [rows, I] in the 16-bit weight dtype (feeds the down projection directly). */
  swiGlu16(x: Tensor, gate: Tensor, up: Tensor): Tensor;
  /** Load time: q/k/v weights and biases concatenated once on the device ([q; k; v]); null when the backend does not
   *  fuse them. The returned parts are views of the fused tensors (same values) that replace the originals, which
   *  are freed, so the fusion costs no memory. Absent: no q/k/v fusion. */
  fuseQkv?(w: readonly [Tensor, Tensor, Tensor], b: readonly [Tensor, Tensor, Tensor]): FusedQkv | null;
  /** q/k/v of a layer in one GEMM over the fused weights + bias + RoPE; k and v go straight into the cache slots
   *  [at, at + T); returns q [T, heads * d] in f32 with RoPE applied (what kvAttention reads). */
  qkvRopeKv?(x: Tensor, qkv: FusedQkv, cache: KvCache, layer: number, heads: number, positions: Int32Array,
    invFreq: Float32Array, at: number): Tensor;
  /** [h, n]: h (f32) = residual + x · wᵀ and n = RMSNorm(h) with weight normW in the 16-bit dtype (the o / down
   *  projection with the following norm in its epilogue; same numbers as linearAdd + rmsNorm16). Absent: separate. */
  linearAddNorm16?(x: Tensor, w: Tensor, residual: Tensor, normW: Tensor, eps: number): [Tensor, Tensor];
}

export interface FusedQkv {
  w: Tensor;
  b: Tensor;
  /** Views of w / b: the q, k and v parts. */
  parts: { w: [Tensor, Tensor, Tensor]; b: [Tensor, Tensor, Tensor] };
}

export function prefillOps(be: Backend): PrefillOps | null {
  const f = (be as { prefillOps?: () => PrefillOps | null }).prefillOps;
  return typeof f === 'function' ? f.call(be) : null;
}

/** SPARSEVILA_PREFILL_FUSED=1|0 (unset: `dflt`). */
export function prefillFusedFromEnv(dflt: boolean, value = process.env.SPARSEVILA_PREFILL_FUSED): boolean {
  return onOff('SPARSEVILA_PREFILL_FUSED', dflt, value);
}

/** SPARSEVILA_PREFILL_QKV=1|0|2 (unset: `dflt`): q/k/v as one GEMM + RoPE + KV write (needs the 16-bit prefill path);
 *  the CUDA backend runs its two-columns-per-thread RoPE / cache kernel (v2) unless the value is 1 (v1). */
export function prefillQkvFromEnv(dflt: boolean, value = process.env.SPARSEVILA_PREFILL_QKV): boolean {
  return value?.trim() === '2' ? true : onOff('SPARSEVILA_PREFILL_QKV', dflt, value);
}

/** SPARSEVILA_PREFILL_RESNORM=1|0 (unset: `dflt`): the RMSNorm after the o / down projections in their epilogue. */
export function prefillResNormFromEnv(dflt: boolean, value = process.env.SPARSEVILA_PREFILL_RESNORM): boolean {
  return onOff('SPARSEVILA_PREFILL_RESNORM', dflt, value);
}

function onOff(name: string, dflt: boolean, value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  if (!v) return dflt;
  if (v === '1' || v === 'on') return true;
  if (v === '0' || v === 'off') return false;
  throw new Error(`${name} must be 1 or 0, got "${value}"`);
}
