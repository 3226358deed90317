import { describe, expect, it } from 'vitest';
import type { KernelsAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { applySparseKernelEnv } from '../../../engine/core/backend/cuda/sparse-kernels-env.ts';

function fakeAddon() {
  const calls: string[] = [];
  const addon = {
    setSaliencyVersion: (v: number) => { calls.push(`saliency ${v}`); },
    setDecodeAttentionVersion: (v: number) => { calls.push(`decode ${v}`); },
  } as unknown as KernelsAddon;
  return { addon, calls };
}

describe('SPARSEVILA_SALIENCY / SPARSEVILA_DECODE_ATTN', () => {
  it('leaves the addon defaults when unset or blank', () => {
    const { addon, calls } = fakeAddon();
    applySparseKernelEnv(addon, {});
    applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: ' ', SPARSEVILA_DECODE_ATTN: '' });
    expect(calls).toEqual([]);
  });
  it('picks the versions', () => {
    const { addon, calls } = fakeAddon();
    applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '2', SPARSEVILA_DECODE_ATTN: '4' });
    applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '3' });
    expect(calls).toEqual(['saliency 2', 'decode 4', 'saliency 3']);
  });
  it('rejects other values before touching the addon', () => {
    const { addon, calls } = fakeAddon();
    expect(() => applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '4' })).toThrow(/SPARSEVILA_SALIENCY must be one of 1, 2, 3/);
    expect(() => applySparseKernelEnv(addon, { SPARSEVILA_SALIENCY: '2', SPARSEVILA_DECODE_ATTN: 'fast' })).toThrow(/SPARSEVILA_DECODE_ATTN/);
    expect(calls).toEqual([]);
  });
});
