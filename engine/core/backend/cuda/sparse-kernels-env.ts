// Kernel choice for A/B runs: SPARSEVILA_SALIENCY = 1 | 2 (colMeanSoftmax: SIMT f32, tensor cores with bf16
// operands) and SPARSEVILA_DECODE_ATTN = 0 (automatic: v9 below 30000 slots, v4 above), 3 (split-K), 4 or 9 (decode
// attention over a slot set). Unset: the addon's default. KERNELS.md has each version's numbers.
import type { AddonKernelConfig, KernelsAddon } from './addon.ts';

function pick<T>(name: string, value: string | undefined, allowed: Record<string, T>): T | null {
  const v = value?.trim();
  if (!v) return null;
  if (!Object.hasOwn(allowed, v)) throw new Error(`${name} must be one of ${Object.keys(allowed).join(', ')}, got "${value}"`);
  return allowed[v];
}

export function applySparseKernelEnv(addon: KernelsAddon, env: Record<string, string | undefined> = process.env): void {
  const saliency = pick<AddonKernelConfig['saliency']>('SPARSEVILA_SALIENCY', env.SPARSEVILA_SALIENCY,
    { 1: 'simt', 2: 'tensor-core' });
  const decodeAttention = pick<AddonKernelConfig['decodeAttention']>('SPARSEVILA_DECODE_ATTN', env.SPARSEVILA_DECODE_ATTN,
    { 0: 'auto', 3: 'split', 4: 'v4', 9: 'v9' });
  const config: Partial<AddonKernelConfig> = {};
  if (saliency !== null) config.saliency = saliency;
  if (decodeAttention !== null) config.decodeAttention = decodeAttention;
  if (Object.keys(config).length) addon.configure(config);
}
