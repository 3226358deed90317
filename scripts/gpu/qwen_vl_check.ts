// Qwen2.5-VL / Qwen3-VL on the CUDA backend (device run): the HF fixtures (test/fixtures/qwen-vl, transformers 5.17 fp32
// eager logits) through the same path as `sparsevila logits`, in f32 (tolerance 1e-4, as the CPU) and in bf16 with the
// default kernels (2e-2, the bf16 tolerance of kernels_parity.ts), plus bf16 without the fused prefill / decode
// kernels. Each case also checks decode: the last prompt row run alone on a cache holding the rest (the fused decode
// RoPE with an angle table) must give the full forward's last logits. Exit 1 when a tolerance is missed.
// Usage: npx tsx scripts/gpu/qwen_vl_check.ts
import { join } from 'node:path';
import { readQwenVlInputs } from '../../engine/cli/qwen-vl-inputs.ts';
import { tryCudaBackend } from '../../engine/core/backend/cuda/cuda-backend.ts';
import type { KernelConfig } from '../../engine/core/backend/cuda/kernel-config.ts';
import { loadQwenVl } from '../../engine/core/models/load-qwen-vl.ts';
import { gatherPositions } from '../../engine/core/models/mrope.ts';
import { readTensors, relError } from '../../test/unit/engine/qwen-vision-fixture.ts';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/qwen-vl');
const VARIANTS: { name: string; kernels: Partial<KernelConfig>; tol: number }[] = [
  { name: 'f32', kernels: { dtype: 'f32' }, tol: 1e-4 },
  { name: 'bf16 defaults (fused prefill q/k/v + RoPE, fused decode)', kernels: {}, tol: 2e-2 },
  { name: 'bf16 plain ops', kernels: { prefillFused: false, gemv: 'off' }, tol: 2e-2 },
];
let failed = 0;

const refLogits = (family: string) => readTensors(join(FIXTURE, family, 'reference.safetensors')).get('logits')!.data as Float32Array;


function check(name: string, err: number, tol: number): void {
  const ok = err < tol;
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: max|d|/max|ref| = ${err.toExponential(2)} (tol ${tol})`);
}

for (const v of VARIANTS) {
  const { backend: be, message } = tryCudaBackend(v.kernels);
  if (!be) throw new Error(message);
  for (const family of ['qwen2_5_vl', 'qwen3_vl']) {
    const dir = join(FIXTURE, family);
    const model = loadQwenVl(join(dir, 'model'), be);
    const { prompt, pixels } = readQwenVlInputs(join(dir, 'inputs.safetensors'), model.config.videoTokenId);
    const t0 = performance.now();
    const video = model.encodeVideo(pixels!, prompt.grids);
    const logits = model.logits(prompt, video);
    const ms = performance.now() - t0;
    const ref = refLogits(family), V = model.config.text.vocabSize, T = prompt.ids.length;
    check(`${family} ${v.name}: logits vs HF (${ms.toFixed(0)} ms)`, relError(logits, ref), v.tol);
    // Decode: rows [0, T-1) prefilled, then the last row alone (one row: the decode kernels).
    const { positions } = model.positions(prompt);
    const x = model.embedPrompt(prompt.ids, prompt.videoRows, video.features);
    const cache = model.llm.createCache(T);
    const head = Int32Array.from({ length: T - 1 }, (_, i) => i);
    const xs = be.sliceRows(x, 0, T - 1), xl = be.sliceRows(x, T - 1, T);
    const ds = video.deepstack?.length ? { rows: prompt.videoRows, features: video.deepstack } : undefined;
    be.dispose(model.llm.forward(xs, cache, { positions: gatherPositions(positions, head), at: 0, deepstack: ds, lastOnly: true }));
    const h = model.llm.forward(xl, cache, { positions: gatherPositions(positions, [T - 1]), at: T - 1 });
    const last = be.toHost(model.llm.logits(h));
    check(`${family} ${v.name}: last row decoded on the cache vs HF`, relError(last, ref.subarray((T - 1) * V, T * V)), v.tol);
    for (const t of [x, xs, xl, h, video.features, ...(video.deepstack ?? [])]) be.dispose(t);
    be.disposeKvCache(cache);
  }
}
console.log(failed ? `${failed} FAILED` : 'all passed');
process.exit(failed ? 1 : 0);
