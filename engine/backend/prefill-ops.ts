// Optional backend ops for many-row (prefill) layers: RMSNorm and the SwiGLU MLP input computed in 16 bits. A backend offers them
// through `prefillOps()`; null (or absent) means the model uses the plain ops.
import type { Backend, Tensor } from './backend.ts';

export interface PrefillOps {
  /** RMSNorm of f32 rows written in the 16-bit weight dtype (the input of the following GEMMs). */
  rmsNorm16(x: Tensor, w: Tensor, eps: number): Tensor;
  /** SiLU(x · gateᵀ) * (x · upᵀ), [rows, I] in the 16-bit weight dtype (feeds the down projection directly). */
  swiGlu16(x: Tensor, gate: Tensor, up: Tensor): Tensor;
}

export function prefillOps(be: Backend): PrefillOps | null {
  const f = (be as { prefillOps?: () => PrefillOps | null }).prefillOps;
  return typeof f === 'function' ? f.call(be) : null;
}

/** SPARSEVILA_PREFILL_FUSED=1|0 (unset: `dflt`). */
export function prefillFusedFromEnv(dflt: boolean, value = process.env.SPARSEVILA_PREFILL_FUSED): boolean {
  const v = value?.trim().toLowerCase();
  if (!v) return dflt;
  if (v === '1' || v === 'on') return true;
  if (v === '0' || v === 'off') return false;
  throw new Error(`SPARSEVILA_PREFILL_FUSED must be 1 or 0, got "${value}"`);
}
