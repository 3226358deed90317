// Kernel choice for A/B runs: SPARSEVILA_SALIENCY = 1 | 2 | 3 (colMeanSoftmax: SIMT f32, tensor cores with bf16
// operands, tensor cores with hi+lo bf16 operands) and SPARSEVILA_DECODE_ATTN = 0 (automatic: v9 below 30000 slots, v4 above) or 3 .. 9 (decode attention over a
// slot set). Unset: the addon's default. KERNELS.md has each version's numbers.
import type { KernelsAddon } from './addon.ts';

function pick(name: string, value: string | undefined, allowed: number[]): number | null {
  const v = value?.trim();
  if (!v) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || !allowed.includes(n)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return n;
}

export function applySparseKernelEnv(addon: KernelsAddon, env: Record<string, string | undefined> = process.env): void {
  const saliency = pick('SPARSEVILA_SALIENCY', env.SPARSEVILA_SALIENCY, [1, 2, 3]);
  const decode = pick('SPARSEVILA_DECODE_ATTN', env.SPARSEVILA_DECODE_ATTN, [0, 3, 4, 5, 6, 7, 8, 9]);
  if (saliency !== null) {
    if (typeof addon.setSaliencyVersion !== 'function') throw new Error('SPARSEVILA_SALIENCY: this addon has no setSaliencyVersion; rebuild it');
    addon.setSaliencyVersion(saliency);
  }
  if (decode !== null) {
    if (typeof addon.setDecodeAttentionVersion !== 'function') throw new Error('SPARSEVILA_DECODE_ATTN: this addon has no setDecodeAttentionVersion; rebuild it');
    addon.setDecodeAttentionVersion(decode);
  }
}
