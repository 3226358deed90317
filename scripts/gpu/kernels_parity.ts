// Parity of the CUDA backend: `logits` of a checkpoint on the GPU (f32 and bf16 modes) against reference logits
// (the CPU backend's, and HF transformers' fixture when given). Exit 1 when a tolerance is missed.
// Usage: npx tsx scripts/gpu/kernels_parity.ts MODEL_DIR INPUTS.safetensors NAME=REF.safetensors [NAME=REF ...]
import { SafetensorsFile } from '../../engine/core/checkpoint/safetensors.ts';
import { readLogitsInputs } from '../../engine/cli/logits.ts';
import { loadModel } from '../../engine/core/models/load-model.ts';

const [dir, inputs, ...refs] = process.argv.slice(2);
if (!dir || !inputs || !refs.length) throw new Error('usage: kernels_parity.ts MODEL_DIR INPUTS NAME=REF [...]');

function readLogits(path: string): Float32Array {
  const f = new SafetensorsFile(path);
  try {
    const b = f.readBytes('logits');
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } finally { f.close(); }
}

const { ids, pixels, frames } = readLogitsInputs(inputs);
const TOL = { f32: 1e-4, bf16: 2e-2 } as const;
let failed = 0;
for (const dtype of ['f32', 'bf16'] as const) {
  const m = await loadModel(dir, { backend: 'cuda', kernels: { dtype } });
  const t0 = performance.now();
  const got = m.model.logits(ids, pixels, frames);
  const ms = performance.now() - t0;
  for (const r of refs) {
    const [name, path] = r.split('=');
    const ref = readLogits(path);
    if (ref.length !== got.length) throw new Error(`${name}: ${ref.length} reference logits vs ${got.length}`);
    let num = 0, den = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(got[i] - ref[i]);
      num = Number.isNaN(d) ? Infinity : Math.max(num, d);
      den = Math.max(den, Math.abs(ref[i]));
    }
    const err = num / den;
    const ok = err < TOL[dtype];
    if (!ok) failed++;
    console.log(`${ok ? 'PASS' : 'FAIL'} parity cuda-${dtype} vs ${name}: max|d|/max|ref| = ${err.toExponential(2)} (tol ${TOL[dtype]}), ${ms.toFixed(0)} ms, ${m.backend.device}`);
  }
}
process.exitCode = failed ? 1 : 0;
