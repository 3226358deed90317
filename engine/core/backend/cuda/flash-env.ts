// Prefill attention kernel choice from SPARSEVILA_FLASH (benchmarks / A-B runs): 'off' or '0' = cuBLAS chunked
// path, 'auto' = flash with the automatic version (the addon's default), '1'..'11' = that flash kernel version (8-11: wgmma, Hopper only, else v2)
// (kernels/src/gpu_flash.cu setFlashVersion). Unset: the addon's default.
import type { KernelsAddon } from './addon.ts';

export function applyFlashEnv(addon: KernelsAddon, value = process.env.SPARSEVILA_FLASH): void {
  const v = value?.trim().toLowerCase();
  if (!v) return;
  if (typeof addon.setFlash !== 'function') return;  // an addon built before the switch existed
  if (v === '0' || v === 'off') { addon.setFlash(false); return; }
  const n = v === 'auto' ? 0 : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 11) throw new Error(`SPARSEVILA_FLASH must be off, auto or 1-11, got "${value}"`);
  if (typeof addon.setFlashVersion !== 'function') throw new Error('SPARSEVILA_FLASH: this addon has no setFlashVersion; rebuild it');
  addon.setFlashVersion(n);
  addon.setFlash(true);
}
