// SPARSEVILA_GEMV picks the decode GEMM path of the CUDA backend: off | on | fused (0 / 1 too); default fused.
import { afterEach, describe, expect, it } from 'vitest';
import { gemvModeFromEnv } from '../../../engine/core/backend/cuda/cuda-fused.ts';

const saved = process.env.SPARSEVILA_GEMV;
afterEach(() => { if (saved === undefined) delete process.env.SPARSEVILA_GEMV; else process.env.SPARSEVILA_GEMV = saved; });

describe('SPARSEVILA_GEMV', () => {
  it('defaults to fused and parses every spelling', () => {
    delete process.env.SPARSEVILA_GEMV;
    expect(gemvModeFromEnv()).toBe('fused');
    for (const [v, m] of [['off', 'off'], ['0', 'off'], ['on', 'on'], ['1', 'on'], ['fused', 'fused'], [' FUSED ', 'fused']]) {
      process.env.SPARSEVILA_GEMV = v;
      expect(gemvModeFromEnv()).toBe(m);
    }
  });
  it('rejects anything else with a clear message', () => {
    process.env.SPARSEVILA_GEMV = 'fast';
    expect(() => gemvModeFromEnv()).toThrow(/off, on or fused/);
  });
});
