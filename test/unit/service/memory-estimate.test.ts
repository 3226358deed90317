// The pre-prefill memory check: what fits, what does not, and that pruning and fewer frames shrink the estimate.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { parseConfig } from '../../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../../engine/core/models/presets.ts';
import { estimateMemory } from '../../../engine/service/models/memory-estimate.ts';

const cfg7b = parseConfig(presetConfig('7b'));
const GiB = 2 ** 30;

describe('memory estimate', () => {
  it('counts weights, KV and activations, and refuses what does not fit with a message saying what to change', () => {
    const settings = { ...DEFAULT_SETTINGS, frames: 256, policy: 'dense' as const };
    const e = estimateMemory({ config: cfg7b, parameters: 8.0e9, settings, backend: 'cuda', availableBytes: 24 * GiB });
    expect(e.weightsBytes).toBe(16.0e9);
    // Qwen2-7B: 28 layers x 2 x 4 kv heads x 128 x 2 bytes per token, for 256 x 196 + 1 visual tokens and the text.
    const visual = 256 * 196 + 1;
    expect(e.kvBytes).toBeGreaterThan(28 * 2 * 4 * 128 * 2 * visual);
    expect(e.fits).toBe(false);
    expect(e.message).toMatch(/only 24\.00 GiB of GPU memory/);
    expect(e.message).toMatch(/fewer frames \(now 256\)/);
  });

  it('prefill pruning and fewer frames shrink the KV cache; a small enough job fits', () => {
    const base = { config: cfg7b, parameters: 8.0e9, backend: 'cuda' as const, availableBytes: 80 * GiB };
    const dense = estimateMemory({ ...base, settings: { ...DEFAULT_SETTINGS, frames: 64, policy: 'dense' } });
    const sparse = estimateMemory({ ...base, settings: { ...DEFAULT_SETTINGS, frames: 64, policy: 'sparsevila', prefillSparsity: 0.75 } });
    expect(sparse.kvBytes).toBeLessThan(dense.kvBytes * 0.4);
    expect(sparse.fits).toBe(true);
    expect(sparse.message).toMatch(/of 80\.00 GiB GPU memory/);
    const cpu = estimateMemory({ ...base, backend: 'cpu', settings: { ...DEFAULT_SETTINGS, frames: 64 } });
    expect(cpu.weightsBytes).toBe(2 * dense.weightsBytes); // float32 on the CPU backend
  });

  it('measuring dense counts the dense session\'s KV cache too', () => {
    const base = { config: cfg7b, parameters: 8.0e9, backend: 'cuda' as const, availableBytes: 80 * GiB };
    const settings = { ...DEFAULT_SETTINGS, frames: 64, policy: 'sparsevila' as const, prefillSparsity: 0.75 };
    const alone = estimateMemory({ ...base, settings });
    const both = estimateMemory({ ...base, settings: { ...settings, measureDense: true } });
    const dense = estimateMemory({ ...base, settings: { ...settings, policy: 'dense' } });
    expect(both.kvBytes).toBe(alone.kvBytes + dense.kvBytes);
    expect(both.message).toMatch(/incl\. the dense run/);
    // Dense itself has no second session.
    expect(estimateMemory({ ...base, settings: { ...settings, policy: 'dense', measureDense: true } }).kvBytes).toBe(dense.kvBytes);
  });

  it('query-prune prunes at prefill too', () => {
    const base = { config: cfg7b, parameters: 8.0e9, backend: 'cuda' as const, availableBytes: 80 * GiB };
    const qp = estimateMemory({ ...base, settings: { ...DEFAULT_SETTINGS, frames: 64, policy: 'query-prune', prefillSparsity: 0.75 } });
    const sv = estimateMemory({ ...base, settings: { ...DEFAULT_SETTINGS, frames: 64, policy: 'sparsevila', prefillSparsity: 0.75 } });
    expect(qp.kvBytes).toBe(sv.kvBytes);
  });

  it('CPU: weights the engine already holds are not asked of free RAM again (the 2nd question is not refused)', () => {
    const cfg = parseConfig(presetConfig('0.5b'));
    const settings = { ...DEFAULT_SETTINGS, frames: 8 };
    const input = { config: cfg, parameters: 0.9e9, settings, backend: 'cpu' as const, availableBytes: 3 * GiB };
    const first = estimateMemory(input); // 3.6 GB of f32 weights do not fit in 3 GiB free
    expect(first.fits).toBe(false);
    const later = estimateMemory({ ...input, weightsResident: true }); // loaded: free RAM is what is left after them
    expect(later.fits).toBe(true);
    expect(later.message).toMatch(/already loaded/);
    // On the GPU the available figure is the card's memory, so resident weights still count.
    expect(estimateMemory({ ...input, backend: 'cuda', weightsResident: true, availableBytes: 1 * GiB }).fits).toBe(false);
  });
});
