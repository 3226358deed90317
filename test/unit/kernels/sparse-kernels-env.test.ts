import { describe, expect, it } from 'vitest';
import type { AddonKernelConfig, KernelsAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { applySparseKernelEnv } from '../../../engine/core/backend/cuda/sparse-kernels-env.ts';

function fakeAddon() {
  const calls: Partial<AddonKernelConfig>[] = [];
  const addon = { configure: (c: Partial<AddonKernelConfig>) => { calls.push(c); } } as unknown as KernelsAddon;
  return { addon, calls };
}

describe('SPARSEVILA_SALIENCY / SPARSEVILA_DECODE_ATTN', () => {
  it('leaves the addon defaults when unset or blank', () => {
    const { addon, calls } = fakeAddon();
    applySparseKernelEnv(addon, {});
    applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: ' ', SPARSEVILA_DECODE_ATTN: '' });
    expect(calls).toEqual([]);
  });
  it('maps the shipped versions onto the kernel configuration', () => {
    const { addon, calls } = fakeAddon();
    applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '2', SPARSEVILA_DECODE_ATTN: '4' });
    applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '1' });
    applySparseKernelEnv(addon, { SPARSEVILA_DECODE_ATTN: '0' });
    applySparseKernelEnv(addon, { SPARSEVILA_DECODE_ATTN: '3' });
    applySparseKernelEnv(addon, { SPARSEVILA_DECODE_ATTN: '9' });
    expect(calls).toEqual([{ saliency: 'tensor-core', decodeAttention: 'v4' }, { saliency: 'simt' },
      { decodeAttention: 'auto' }, { decodeAttention: 'split' }, { decodeAttention: 'v9' }]);
  });
  it('rejects removed versions and other values before touching the addon', () => {
    const { addon, calls } = fakeAddon();
    expect(() => applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '3' })).toThrow(/SPARSEVILA_SALIENCY must be one of 1, 2/);
    expect(() => applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '2', SPARSEVILA_DECODE_ATTN: '8' })).toThrow(/SPARSEVILA_DECODE_ATTN must be one of 0, 3, 4, 9/);
    expect(() => applySparseKernelEnv(addon, { SPARSEVILA_DECODE_ATTN: 'constructor' })).toThrow(/SPARSEVILA_DECODE_ATTN/);
    expect(calls).toEqual([]);
  });
});
