// Device run of the backend op table (test/unit/kernels/backend-ops-table.ts): every CUDA backend op against the CPU
// backend on seeded random inputs, under every shipped kernel configuration. One PASS / FAIL line per op and
// configuration, JSON to $OUT/backend_ops.json, exit 1 on any failure. Run by `scripts/gpu/kernels_check.sh ops`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpuBackend } from '../../engine/core/backend/cpu/cpu-backend.ts';
import { loadAddon } from '../../engine/core/backend/cuda/addon.ts';
import { CUDA_VARIANTS, runCudaVariant, type OpResult } from '../../test/unit/kernels/backend-ops-table.ts';

const status = loadAddon();
console.log(status.message);
if (!status.gpu) process.exit(2);
const cpu = new CpuBackend();
const report: { variant: string; tol: number; results: OpResult[] }[] = [];
let fails = 0;
for (const v of CUDA_VARIANTS) {
  const results = runCudaVariant(cpu, v);
  report.push({ variant: v.name, tol: v.tol, results });
  for (const r of results) {
    if (!r.ok) fails++;
    console.log(`${r.ok ? 'PASS' : 'FAIL'} [${v.name}] ${r.name}: nmse ${r.nmse.toExponential(2)} (tol ${v.tol})${r.error ? ` ${r.error}` : ''}`);
  }
}
const total = report.reduce((a, r) => a + r.results.length, 0);
console.log(`${fails ? 'FAIL' : 'PASS'} backend ops: ${total - fails}/${total} op x configuration checks`);
writeFileSync(join(process.env.OUT ?? '.', 'backend_ops.json'), JSON.stringify({ device: status.message, report }, null, 1));
process.exit(fails ? 1 : 0);
