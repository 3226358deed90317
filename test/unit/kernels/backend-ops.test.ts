// Every CUDA backend op (primitives, KV-cache ops, fused layer composites) against the CPU backend on fresh seeded
// inputs, under each shipped kernel configuration (backend-ops-table.ts). Runs where the addon finds a GPU; on the
// GPU machine the lead runs it through scripts/gpu/backend_ops.ts. Elsewhere the table itself is still exercised:
// it must run on the CPU backend and give the same outputs twice.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { loadAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { compareBackends, CUDA_VARIANTS, OP_CASES, runCudaVariant } from './backend-ops-table.ts';

const status = loadAddon();
if (!status.gpu) console.warn(`CUDA-vs-CPU op table skipped: ${status.message}`);

describe('backend op table', () => {
  it('runs every case on the CPU backend, deterministically', () => {
    const results = compareBackends(new CpuBackend(), new CpuBackend(), 0);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(OP_CASES.map((c) => c.name));
  }, 120_000);
});

describe.skipIf(!status.gpu)('CUDA backend ops vs the CPU backend', () => {
  const cpu = new CpuBackend();
  for (const v of CUDA_VARIANTS) {
    it(v.name, () => {
      const results = runCudaVariant(cpu, v);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    }, 300_000);
  }
});
