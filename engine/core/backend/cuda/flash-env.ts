// Prefill attention kernel choice from SPARSEVILA_FLASH (benchmarks / A-B runs): 'off' or '0' = cuBLAS chunked
// path, 'auto' = flash with the automatic version (the addon's default), 'mma' = flash without the Hopper wgmma kernel
// (what non-Hopper GPUs run). Unset: the addon's default. (kernels/src/kernel_config.h PrefillAttention.)
import type { AddonKernelConfig, KernelsAddon } from './addon.ts';

const CHOICES: Record<string, AddonKernelConfig['prefillAttention']> = { off: 'cublas', 0: 'cublas', auto: 'auto', mma: 'mma' };

export function applyFlashEnv(addon: KernelsAddon, value = process.env.SPARSEVILA_FLASH): void {
  const v = value?.trim().toLowerCase();
  if (!v) return;
  const prefillAttention = CHOICES[v];
  if (!prefillAttention) throw new Error(`SPARSEVILA_FLASH must be off, auto or mma, got "${value}"`);
  addon.configure({ prefillAttention });
}
