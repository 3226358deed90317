// The CUDA prefill path's switches from the environment (A/B runs).

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
