// Qwen2.5-VL / Qwen3-VL vision towers on the CUDA backend (device run): (1) the HF fixture (test/fixtures/qwen-vision)
// in f32 (tolerance 1e-4, as the CPU) and bf16 with cuBLAS and flash block attention (2e-2): merged features,
// DeepStack features, patch and token saliency; (2) with --bench, the Qwen2.5-VL-7B tower (synthetic bf16 weights drawn
// on the device) on 64 and 256 frames of a 252x448 video (grid 18x32 patches per temporal group), ms per forward
// with and without saliency.
// Usage: npx tsx scripts/gpu/qwen_vision_check.ts [--bench] [--out FILE.json]   (in a device call: scripts/gpu/kernels_check.sh qwenvision)
import { writeFileSync } from 'node:fs';
import type { HostTensorData } from '../../engine/core/backend/backend.ts';
import { tryCudaBackend } from '../../engine/core/backend/cuda/cuda-backend.ts';
import type { KernelConfig } from '../../engine/core/backend/cuda/kernel-config.ts';
import type { WeightSource } from '../../engine/core/checkpoint/weights.ts';
import { parseQwen25VisionConfig } from '../../engine/core/models/qwen2-5-vl-vision-config.ts';
import { Qwen25VisionTower, qwen25VisionTensors } from '../../engine/core/models/qwen2-5-vl-vision.ts';
import { specList, type TensorSpec } from '../../engine/core/models/tensor-spec.ts';
import { loadCase, relError, type QwenVisionCase } from '../../test/unit/engine/qwen-vision-fixture.ts';

const args = process.argv.slice(2);
const BENCH = args.includes('--bench');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'qwen_vision_check.json';
const results: { checks: Record<string, unknown>[]; timings: Record<string, unknown>[] } = { checks: [], timings: [] };
let failed = 0;

function backend(kernels: Partial<KernelConfig>) {
  const { backend, message } = tryCudaBackend(kernels);
  if (!backend) throw new Error(message);
  return backend;
}

function check(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: number): void {
  const err = relError(got, ref);
  const ok = err < tol;
  if (!ok) failed++;
  results.checks.push({ name, err, tol, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: max|d|/max|ref| = ${err.toExponential(2)} (tol ${tol})`);
}

// ---- 1. the HF fixture -----------------------------------------------------------------------------------------
const MODES: { name: string; kernels: Partial<KernelConfig>; tol: number }[] = [
  { name: 'f32', kernels: { dtype: 'f32' }, tol: 1e-4 },
  { name: 'bf16-cublas', kernels: { dtype: 'bf16', visionAttention: 'cublas' }, tol: 2e-2 },
  { name: 'bf16-flash', kernels: { dtype: 'bf16', visionAttention: 'flash' }, tol: 2e-2 },
];
for (const mode of MODES) {
  const be = backend(mode.kernels);
  for (const name of ['qwen25', 'qwen3'] as QwenVisionCase[]) {
    try {
      const { tower, pixels, grids, ref } = loadCase(be, name);
      const out = tower.forward(pixels, grids, { saliency: true });
      check(`${name} ${mode.name} merged`, be.toHost(out.features), ref('merged')!, mode.tol);
      out.deepstack?.forEach((d, i) => check(`${name} ${mode.name} deepstack ${i}`, be.toHost(d), ref(`deepstack_${i}`)!, mode.tol));
      check(`${name} ${mode.name} patch saliency`, out.saliency!.patches, ref('patch_saliency')!, mode.tol);
      check(`${name} ${mode.name} token saliency`, out.saliency!.tokens, ref('token_saliency')!, mode.tol);
    } catch (e) {
      failed++;
      results.checks.push({ name: `${name} ${mode.name}`, ok: false, error: String(e) });
      console.log(`FAIL ${name} ${mode.name}: ${(e as Error).stack ?? e}`);
    }
  }
}

// ---- 2. Qwen2.5-VL-7B geometry ---------------------------------------------------------------------------------
/** The tower's tensors drawn on the device (the CUDA backend's deviceRandom), as models/synthetic.ts does for LLaVA. */
class DeviceRandomTower implements WeightSource {
  private readonly specs: Map<string, TensorSpec>;
  constructor(specs: TensorSpec[]) { this.specs = new Map(specs.map((s) => [s.name, s])); }
  has(name: string): boolean { return this.specs.has(name); }
  get(name: string): HostTensorData {
    const s = this.specs.get(name)!;
    let seed = 7;
    for (let i = 0; i < name.length; i++) seed = (Math.imul(seed, 31) + name.charCodeAt(i)) >>> 0;
    const deviceRandom = s.init === 'ones' ? { fill: 1 } : s.init === 'zeros' ? { fill: 0 } : { seed, std: s.init === 'small' ? 0.01 : 0.02 };
    return { dtype: 'f32', shape: [...s.shape], bytes: new Uint8Array(0), deviceRandom } as HostTensorData;
  }
  close(): void {}
}

if (BENCH) {
  const be = backend({ dtype: 'bf16', visionAttention: 'flash' });
  const cfg = parseQwen25VisionConfig({ depth: 32, hidden_size: 1280, hidden_act: 'silu', intermediate_size: 3420, num_heads: 16,
    in_chans: 3, out_hidden_size: 3584, patch_size: 14, spatial_merge_size: 2, temporal_patch_size: 2, window_size: 112,
    fullatt_block_indexes: [7, 15, 23, 31] });
  const tower = Qwen25VisionTower.load(be, new DeviceRandomTower(specList(qwen25VisionTensors(cfg))), cfg);
  for (const frames of [64, 256]) {
    const grids = [{ t: frames / 2, h: 18, w: 32 }];
    const rows = grids[0].t * 18 * 32;
    const pixels = new Float32Array(rows * 1176);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.sin(i * 0.37);
    for (const saliency of [false, true]) {
      const run = () => {
        const out = tower.forward(pixels, grids, { saliency });
        be.sync();
        be.dispose(out.features);
      };
      run();
      const ms: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        run();
        ms.push(performance.now() - t0);
      }
      const best = Math.min(...ms);
      results.timings.push({ model: 'qwen2.5-vl-7b vision', frames, rows, tokens: rows / 4, saliency, ms: best, runs: ms });
      console.log(`qwen2.5-vl-7b vision, ${frames} frames (${rows} patches -> ${rows / 4} tokens), saliency ${saliency}: ${best.toFixed(1)} ms (runs ${ms.map((x) => x.toFixed(1)).join(', ')})`);
    }
  }
}

writeFileSync(OUT, JSON.stringify(results, null, 1));
console.log(failed ? `${failed} check(s) FAILED` : 'all checks passed');
process.exit(failed ? 1 : 0);
