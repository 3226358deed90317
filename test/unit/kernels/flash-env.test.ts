import { describe, expect, it } from 'vitest';
import type { AddonKernelConfig, KernelsAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { applyFlashEnv } from '../../../engine/core/backend/cuda/flash-env.ts';

function fakeAddon() {
  const calls: Partial<AddonKernelConfig>[] = [];
  const addon = { configure: (c: Partial<AddonKernelConfig>) => { calls.push(c); } } as unknown as KernelsAddon;
  return { addon, calls };
}

describe('SPARSEVILA_FLASH', () => {
  it('leaves the addon default when unset', () => {
    const { addon, calls } = fakeAddon();
    applyFlashEnv(addon, undefined);
    applyFlashEnv(addon, ' ');
    expect(calls).toEqual([]);
  });
  it('picks the cuBLAS path, flash without wgmma, or the automatic choice', () => {
    const { addon, calls } = fakeAddon();
    for (const v of ['off', '0', 'mma', ' AUTO ']) applyFlashEnv(addon, v);
    expect(calls.map((c) => c.prefillAttention)).toEqual(['cublas', 'cublas', 'mma', 'auto']);
  });
  it('rejects the removed version numbers and anything else', () => {
    const { addon, calls } = fakeAddon();
    expect(() => applyFlashEnv(addon, '3')).toThrow(/off, auto or mma/);
    expect(() => applyFlashEnv(addon, 'fast')).toThrow(/off, auto or mma/);
    expect(calls).toEqual([]);
  });
});
