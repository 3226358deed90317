// The addon loads on machines without a GPU (or without CUDA) and says so instead of crashing.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../../engine/core/backend/cuda/addon.ts';

const status = loadAddon();

describe('native addon status', () => {
  it('reports GPU presence or a clear reason, never throwing', () => {
    expect(typeof status.message).toBe('string');
    if (!status.gpu) expect(status.message).toMatch(/no GPU, using CPU/);
    else expect(status.message).toMatch(/^GPU: /);
  });

  it.skipIf(!status.addon || status.gpu)('GPU calls fail with an error, not a crash, where there is no GPU', () => {
    const info = status.addon!.info();
    expect(info.available).toBe(false);
    expect(info.error).toMatch(/no GPU, using CPU/);
    expect(() => status.addon!.alloc(1024)).toThrow(/GPU|CUDA/i);
    expect(() => status.addon!.sync()).toThrow(/GPU|CUDA/i);
  });
});

describe('CUDA backend selection', () => {
  it.skipIf(status.gpu)('refuses with the reason where there is no GPU, and auto-selection falls back', async () => {
    const { CudaBackend, tryCudaBackend } = await import('../../../engine/core/backend/cuda/cuda-backend.ts');
    expect(() => new CudaBackend()).toThrow(/CUDA backend unavailable: no GPU, using CPU/);
    const r = tryCudaBackend();
    expect(r.backend).toBeNull();
    expect(r.message).toMatch(/no GPU, using CPU/);
  });
});
