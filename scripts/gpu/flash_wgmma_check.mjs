#!/usr/bin/env node
// Flash attention v9 (wgmma, sm_90a; gpu_flash_wgmma.cu: prefillAttention 'auto') vs the CPU reference and vs flash
// v2 ('mma', what non-Hopper GPUs run), then timings at Qwen2-7B geometry. Its own process (kernels_check.sh 'check'
// step runs it after kernels_check.mjs), so a faulting kernel here cannot take the other checks' CUDA context down.
// Off Hopper, 'auto' runs v2 too (INFO line).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bf16Round, createHarness, DT, f16Round, loadAddon } from './check_harness.mjs';

const A = loadAddon();
const OUT = process.env.OUT ?? '.';
const info = A.info();
const results = { info, checks: [], timings: [] };
console.log('device:', JSON.stringify(info));
if (!info.available) { console.error('no GPU'); process.exit(2); }
console.log("INFO 'auto' runs the wgmma kernel v9 only on compute capability 9.x with the sm_90a build of gpu_flash_wgmma.cu; elsewhere (and for d != 128 or few row tiles over many keys) it runs v2");
const MODES = { auto: 'flash auto (v9 wgmma)', mma: 'flash v2 (mma.sync)' };

const { seed0, rand, randn, live, dev, host, check, guarded, time } = createHarness(A, results, { stopOnCudaError: true, warm: 1, reps: 5 });
console.log('seed', seed0);

// Shapes the engine sends flash (prefill over itself, over a cache prefix, gathered slots, GQA, ragged ends).
// d64 and few-row-tile shapes fall back to v2 inside the addon: they still must be right under 'auto'.
const cases = [
  { name: '300 rows causal bf16 d128 GQA 7:1', Tq: 300, Tk: 300, Hq: 7, Hkv: 1, d: 128, causal: 0, dt: 'bf16' },
  { name: '520 rows causal bf16 d128 GQA 2:1, peaky q', Tq: 520, Tk: 520, Hq: 4, Hkv: 2, d: 128, causal: 0, dt: 'bf16', qs: 4 },
  { name: '600 rows causal bf16 d128 GQA 7:1 (28 heads)', Tq: 600, Tk: 600, Hq: 28, Hkv: 4, d: 128, causal: 0, dt: 'bf16' },
  { name: '257 rows over a 1000-slot cache f16 d128 GQA 4:1', Tq: 257, Tk: 1000, Hq: 8, Hkv: 2, d: 128, causal: 743, dt: 'f16' },
  { name: '200 rows over cache bf16 d128, 40% slots', Tq: 200, Tk: 777, Hq: 28, Hkv: 4, d: 128, causal: 577, dt: 'bf16', sel: 0.4 },
  { name: 'full attention 200 rows x 333 keys f16 d128 GQA 2:1', Tq: 200, Tk: 333, Hq: 4, Hkv: 2, d: 128, causal: -1, dt: 'f16' },
  { name: 'full attention 400 rows x 700 keys bf16 d128 GQA 7:1', Tq: 400, Tk: 700, Hq: 28, Hkv: 4, d: 128, causal: -1, dt: 'bf16' },
  { name: '40 rows over a 3000-slot cache (v2 key splits) bf16 d128', Tq: 40, Tk: 3000, Hq: 4, Hkv: 2, d: 128, causal: 2960, dt: 'bf16' },
  { name: '133 rows causal f16 d64 GQA 2:1 (v2)', Tq: 133, Tk: 140, Hq: 4, Hkv: 2, d: 64, causal: 7, dt: 'f16' },
];
for (const c of cases) guarded(`flash v9 / v2: ${c.name}`, () => {
  const q = randn(c.Tq * c.Hq * c.d, c.qs ?? 1), k = randn(c.Tk * c.Hkv * c.d), v = randn(c.Tk * c.Hkv * c.d);
  let slots = null;
  if (c.sel) {
    const s = [0];
    for (let j = 1; j < c.Tk; j++) if (rand() < c.sel) s.push(j);
    slots = Int32Array.from(s);
  }
  const round = c.dt === 'f16' ? f16Round : bf16Round;
  const ref = A.cpuSlotAttention(round(q), round(k), round(v), c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal, slots);
  const qd = dev(q), kd = dev(k, c.dt), vd = dev(v, c.dt);
  const Tk = slots ? slots.length : c.Tk;
  for (const mode of Object.keys(MODES)) {
    A.configure({ prefillAttention: mode });
    const n = c.Tq * c.Hq * c.d, out = A.alloc(n * 4);
    live.push(out);
    A.fill(out, DT.f32, n, NaN);
    A.attention(out, qd, c.Tq, c.Hq, c.Hkv, c.d, kd, vd, DT[c.dt], c.Hkv * c.d, c.Tk, 1 / Math.sqrt(c.d), c.causal, slots);
    check(`attention (${MODES[mode]}): ${c.name}`, host(out, n), ref, 1e-2);
  }
  void Tk;
});

// Real geometry: 28/4 heads, d128, bf16 cache; v9 against v2 (both GPU), then timings.
guarded('flash v9 / v2 at Qwen2-7B geometry', () => {
  const Hq = 28, Hkv = 4, hd = 128, L = 50176;
  const Kc = A.alloc(L * Hkv * hd * 2), Vc = A.alloc(L * Hkv * hd * 2); live.push(Kc, Vc);
  A.randomFill(Kc, DT.bf16, L * Hkv * hd, 6, 1); A.randomFill(Vc, DT.bf16, L * Hkv * hd, 7, 1);
  for (const Tq of [12544, 50176]) {
    const qp = A.alloc(Tq * Hq * hd * 4), op = A.alloc(Tq * Hq * hd * 4); live.push(qp, op);
    A.randomFill(qp, DT.f32, Tq * Hq * hd, 9, 1);
    const run = (mode, causal) => {
      A.configure({ prefillAttention: mode });
      A.fill(op, DT.f32, Tq * Hq * hd, NaN);
      A.attention(op, qp, Tq, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, Tq, 1 / Math.sqrt(hd), causal, null);
      return host(op, Tq * Hq * hd);
    };
    if (Tq < 20000) {
      for (const causal of [0, -1]) {
        const ref = run('mma', causal);
        check(`attention (flash v9) vs v2: ${causal ? 'full' : 'causal'} ${Tq} rows, 28/4 heads d128 bf16`, run('auto', causal), ref, 1e-2);
      }
    }
    for (const mode of Object.keys(MODES)) {
      A.configure({ prefillAttention: mode });
      time(`prefill attention causal ${Tq} rows (one layer, bf16, ${MODES[mode]})`,
        () => A.attention(op, qp, Tq, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, Tq, 1 / Math.sqrt(hd), 0, null),
        { extra: (ms) => ({ TFLOPs: (2 * 2 * Hq * hd * Tq * Tq / 2) / ms / 1e9 }) });
    }
    if (Tq < 20000) {
      for (const mode of Object.keys(MODES)) {
        A.configure({ prefillAttention: mode });
        time(`prefill attention full ${Tq} rows (one layer, bf16, ${MODES[mode]})`,
          () => A.attention(op, qp, Tq, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, Tq, 1 / Math.sqrt(hd), -1, null),
          { extra: (ms) => ({ TFLOPs: (2 * 2 * Hq * hd * Tq * Tq) / ms / 1e9 }) });
      }
    }
  }
});
try { A.configure({ prefillAttention: 'auto' }); } catch { /* context gone */ }

const fails = results.checks.filter((c) => !c.ok).length;
console.log(`${fails ? 'FAIL' : 'PASS'} flash_wgmma_check: ${results.checks.length - fails}/${results.checks.length} checks`);
writeFileSync(join(OUT, 'flash_wgmma_check.json'), JSON.stringify(results, null, 1));
process.exit(fails ? 1 : 0);
