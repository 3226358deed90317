#!/usr/bin/env node
// GPU kernels vs their CPU references on fresh random inputs, then timings (sync-bracketed, warm-up, median).
// Run on the GPU machine through scripts/gpu/kernels_check.sh. Prints a table last; writes JSON to $OUT.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bf16Round, createHarness, DT, f16Round, loadAddon } from './check_harness.mjs';

const require = createRequire(import.meta.url);  // esbuild, for the engine's topKAscending in the top-k checks
const A = loadAddon();
const OUT = process.env.OUT ?? '.';
const results = { info: A.info(), checks: [], timings: [] };
console.log('device:', JSON.stringify(results.info));
if (!results.info.available) { console.error('no GPU'); process.exit(2); }

const { seed0, rand, randn, live, dev, empty, host, freeAll, check, guarded, time, batch } = createHarness(A, results);

console.log('seed', seed0);

// ---- correctness ------------------------------------------------------------------------------------------------
for (const c of [
  { name: 'saliency SigLIP frame (729, 16x72), 2 frames', frames: 2, Tq: 729, Tk: 729, Hq: 16, Hkv: 16, d: 72, causal: -1, dt: 'f32' },
  { name: 'retrieval scores GQA 7:1 d128 causal, bf16 cache', frames: 1, Tq: 23, Tk: 3001, Hq: 28, Hkv: 4, d: 128, causal: 2978, dt: 'bf16' },
  { name: 'colmean f16 K, d64, GQA 2:1', frames: 1, Tq: 70, Tk: 130, Hq: 4, Hkv: 2, d: 64, causal: -1, dt: 'f16' },
]) guarded(`colMeanSoftmax: ${c.name}`, () => {
  const q = randn(c.frames * c.Tq * c.Hq * c.d, 3), k = randn(c.frames * c.Tk * c.Hkv * c.d, 3);
  const kr = c.dt === 'bf16' ? bf16Round(k) : k;
  const out = empty(c.frames * c.Tk);
  A.configure({ saliency: 'simt' });  // the SIMT f32 kernel, at f32 tolerance; the default (tensor cores) is checked further down
  A.colMeanSoftmax(out, dev(q), dev(k, c.dt), DT[c.dt], c.Hkv * c.d, c.frames, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal);
  A.configure({ saliency: 'tensor-core' });
  const got = host(out, c.frames * c.Tk);
  const ref = new Float32Array(c.frames * c.Tk);
  for (let f = 0; f < c.frames; f++) {
    const qf = q.subarray(f * c.Tq * c.Hq * c.d, (f + 1) * c.Tq * c.Hq * c.d), kf = kr.subarray(f * c.Tk * c.Hkv * c.d, (f + 1) * c.Tk * c.Hkv * c.d);
    ref.set(A.cpuColMeanSoftmax(qf, kf, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal), f * c.Tk);
  }
  // f16 K is compared against the f32 reference: its rounding (2^-11) bounds the error.
  check(`colMeanSoftmax: ${c.name}`, got, ref, c.dt === 'f16' ? 2e-2 : 2e-4);
});

for (const c of [
  { name: 'decode 1 row, GQA 7:1 d128, bf16, all slots', Tq: 1, Tk: 2500, Hq: 28, Hkv: 4, d: 128, causal: 2499, dt: 'bf16', sel: 0 },
  { name: 'decode 1 row, GQA 7:1 d128, bf16, 10% slots', Tq: 1, Tk: 2500, Hq: 28, Hkv: 4, d: 128, causal: 2499, dt: 'bf16', sel: 0.1 },
  { name: 'decode 3 rows, GQA 2:1 d64, f32, 25% slots', Tq: 3, Tk: 700, Hq: 4, Hkv: 2, d: 64, causal: 697, dt: 'f32', sel: 0.25 },
  { name: 'prefill 150 rows causal GQA 7:1 d128, bf16', Tq: 150, Tk: 150, Hq: 14, Hkv: 2, d: 128, causal: 0, dt: 'bf16', sel: 0 },
  { name: 'prefill 90 rows over cache, f32, 30% slots', Tq: 90, Tk: 400, Hq: 4, Hkv: 2, d: 64, causal: 310, dt: 'f32', sel: 0.3 },
  { name: 'flash prefill 200 rows over cache, bf16 d128, 40% slots', Tq: 200, Tk: 777, Hq: 28, Hkv: 4, d: 128, causal: 577, dt: 'bf16', sel: 0.4 },
  { name: 'flash prefill 133 rows causal f16 d64 GQA 2:1', Tq: 133, Tk: 140, Hq: 4, Hkv: 2, d: 64, causal: 7, dt: 'f16', sel: 0 },
  { name: 'flash full attention 97 rows bf16 d64', Tq: 97, Tk: 203, Hq: 2, Hkv: 1, d: 64, causal: -1, dt: 'bf16', sel: 0 },
  { name: 'flash prefill 300 rows causal bf16 d128 GQA 7:1', Tq: 300, Tk: 300, Hq: 7, Hkv: 1, d: 128, causal: 0, dt: 'bf16', sel: 0 },
  { name: 'flash prefill 520 rows causal bf16 d128 GQA 2:1, peaky q', Tq: 520, Tk: 520, Hq: 4, Hkv: 2, d: 128, causal: 0, dt: 'bf16', sel: 0, qs: 4 },
  { name: 'flash prefill 257 rows over 1000-slot cache f16 d128 GQA 4:1', Tq: 257, Tk: 1000, Hq: 8, Hkv: 2, d: 128, causal: 743, dt: 'f16', sel: 0 },
  { name: 'flash full attention 200 rows x 333 keys f16 d128 GQA 2:1', Tq: 200, Tk: 333, Hq: 4, Hkv: 2, d: 128, causal: -1, dt: 'f16', sel: 0 },
  { name: 'flash prefill 130 rows over cache bf16 d64, 15% of 2000 slots', Tq: 130, Tk: 2000, Hq: 4, Hkv: 1, d: 64, causal: 1870, dt: 'bf16', sel: 0.15 },
  { name: 'flash prefill 40 rows over a 3000-slot cache (key splits) bf16 d128 GQA 2:1', Tq: 40, Tk: 3000, Hq: 4, Hkv: 2, d: 128, causal: 2960, dt: 'bf16', sel: 0 },
  { name: 'flash full attention 33 rows over 2100 keys (key splits) f16 d64', Tq: 33, Tk: 2100, Hq: 2, Hkv: 1, d: 64, causal: -1, dt: 'f16', sel: 0 },
  { name: 'decode 2 rows d36 bf16 GQA 3:1 (scalar loads)', Tq: 2, Tk: 300, Hq: 6, Hkv: 2, d: 36, causal: 298, dt: 'bf16', sel: 0.5 },
  { name: 'vision full attention 729 16x72 f32', Tq: 729, Tk: 729, Hq: 16, Hkv: 16, d: 72, causal: -1, dt: 'f32', sel: 0 },
  { name: 'vision full attention 729 16x72 bf16', Tq: 729, Tk: 729, Hq: 16, Hkv: 16, d: 72, causal: -1, dt: 'bf16', sel: 0 },
]) guarded(`attention: ${c.name}`, () => {
  const q = randn(c.Tq * c.Hq * c.d, c.qs ?? 1), k = randn(c.Tk * c.Hkv * c.d), v = randn(c.Tk * c.Hkv * c.d);
  let slots = null;
  if (c.sel) {
    const s = [0];
    for (let j = 1; j < c.Tk; j++) if (rand() < c.sel) s.push(j);
    slots = Int32Array.from(s);
  }
  const kr = c.dt === 'f32' ? k : bf16Round(k), vr = c.dt === 'f32' ? v : bf16Round(v);
  const round = c.dt === 'f16' ? f16Round : bf16Round;
  const kr2 = c.dt === 'f32' ? k : round(k), vr2 = c.dt === 'f32' ? v : round(v);
  const qr = c.dt === 'f32' || c.Tq <= 16 ? q : round(q);  // the prefill paths round q to the K/V dtype
  const ref = A.cpuSlotAttention(qr, kr2, vr2, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal, slots);
  void kr; void vr;
  // Prefill shapes the flash kernels take run on every shipped prefill path: automatic (v7 / wgmma v9 / v2), flash
  // without wgmma (v7 / v2, what non-Hopper GPUs run), and the cuBLAS chunked path.
  const flashToo = c.Tq > 16 && c.dt !== 'f32' && (c.d === 64 || c.d === 128);
  for (const mode of flashToo ? ['auto', 'mma', 'cublas'] : ['auto']) {
    A.configure({ prefillAttention: mode });
    const out = empty(c.Tq * c.Hq * c.d);
    A.attention(out, dev(q), c.Tq, c.Hq, c.Hkv, c.d, dev(k, c.dt), dev(v, c.dt), DT[c.dt], c.Hkv * c.d, c.Tk, 1 / Math.sqrt(c.d), c.causal, slots);
    check(`attention${flashToo ? ` (prefill ${mode})` : ''}: ${c.name}`, host(out, c.Tq * c.Hq * c.d), ref, c.dt === 'f32' ? 1e-4 : 1e-2);
  }
  A.configure({ prefillAttention: 'auto' });
});

// Vision tower attention on the flash kernel: frames independent blocks, no mask, f32 q/k/v cast to 16 bits.
for (const c of [
  { name: '3 frames x 200 rows, 4 heads d72 bf16', F: 3, T: 200, H: 4, d: 72, dt: 'bf16' },
  { name: '2 frames x 150 rows, 2 heads d64 f16', F: 2, T: 150, H: 2, d: 64, dt: 'f16' },
  { name: '2 frames x 129 rows, 2 heads d128 bf16', F: 2, T: 129, H: 2, d: 128, dt: 'bf16' },
]) guarded(`flashBlockAttention: ${c.name}`, () => {
  const n = c.F * c.T * c.H * c.d, scale = 1 / Math.sqrt(c.d);
  const q = randn(n, 2), k = randn(n, 2), v = randn(n);
  const round = c.dt === 'f16' ? f16Round : bf16Round;
  const [qr, kr, vr] = [round(q), round(k), round(v)];
  const ref = new Float32Array(n), per = c.T * c.H * c.d;
  for (let f = 0; f < c.F; f++) {
    const sl = (a) => a.subarray(f * per, (f + 1) * per);
    ref.set(A.cpuSlotAttention(sl(qr), sl(kr), sl(vr), c.T, c.T, c.H, c.H, c.d, scale, -1, null), f * per);
  }
  const out = empty(n);
  A.flashBlockAttention(out, dev(q), dev(k), dev(v), c.F, c.T, c.H, c.d, DT[c.dt], scale);
  check(`flashBlockAttention: ${c.name}`, host(out, n), ref, 1e-2);
});

// 16-bit prefill MLP pieces (gpu_prefill.cu) vs double-precision references.
guarded('linearTo16 / siluMul16', () => {
  if (typeof A.linearTo16 !== 'function') throw new Error('addon has no linearTo16');
  const to32 = (p, n, dt) => { const f = empty(n); A.cast(f, DT.f32, p, DT[dt], n); return host(f, n); };
  for (const [dt, xdt] of [['bf16', 'f32'], ['bf16', 'bf16'], ['f16', 'f32']]) {
    const M = 37, K = 200, N = 70;
    const x = randn(M * K, 2), w = randn(N * K, 0.5);
    const round = dt === 'f16' ? f16Round : bf16Round;
    const xr = round(x), wr = round(w);
    const ref = new Float32Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) { let s = 0; for (let k = 0; k < K; k++) s += xr[m * K + k] * wr[n * K + k]; ref[m * N + n] = s; }
    const out = empty(M * N, dt);
    A.linearTo16(out, dev(x, xdt), DT[xdt], M, K, dev(w, dt), DT[dt], N);
    check(`linearTo16 ${dt} weights, ${xdt} x (${M}x${K} · ${N}x${K}ᵀ)`, to32(out, M * N, dt), ref, 1e-2);
  }
  {
    const rows = 5, cols = 3584, x = randn(rows * cols, 3), w = randn(cols, 1.5);
    const wr = bf16Round(w), ref = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
      const inv = 1 / Math.sqrt(s / cols + 1e-6);
      for (let c = 0; c < cols; c++) ref[r * cols + c] = wr[c] * x[r * cols + c] * inv;
    }
    const out = empty(rows * cols, 'bf16');
    A.rmsNormTo16(out, DT.bf16, dev(x), rows, cols, dev(w, 'bf16'), DT.bf16, 1e-6);
    check(`rmsNormTo16 bf16 out, ${rows}x${cols}`, to32(out, rows * cols, 'bf16'), ref, 1e-2);
  }
  for (const n of [4096, 1003]) {
    const g = randn(n, 4), u = randn(n, 2);
    const gr = bf16Round(g), ur = bf16Round(u);
    const ref = Float32Array.from(gr, (v, i) => v / (1 + Math.exp(-v)) * ur[i]);
    const out = empty(n, 'bf16');
    A.siluMul16(out, dev(g, 'bf16'), dev(u, 'bf16'), DT.bf16, n);
    check(`siluMul16 bf16, ${n} elements`, to32(out, n, 'bf16'), ref, 1e-2);
  }
});

guarded('compactRows bf16 and f32', () => {
  const layers = 3, cap = 500, row = 256;
  const base = randn(layers * cap * row);
  const keep = Int32Array.from(Array.from({ length: cap }, (_, i) => i).filter((i) => i < 37 || rand() < 0.3));
  for (const dt of ['f32', 'bf16']) {
    const p = dev(base, dt);
    A.compactRows(p, DT[dt], layers, cap, row, keep);
    const back = new Float32Array(base.length);
    const t = A.alloc(base.length * 4); A.cast(t, DT.f32, p, DT[dt], base.length); A.download(t, back); A.free(t);
    const ref = dt === 'f32' ? base.slice() : bf16Round(base);
    A.cpuCompactRows(ref, layers, cap, row, keep);
    const pick = (a) => { const o = []; for (let l = 0; l < layers; l++) o.push(...a.subarray(l * cap * row, (l * cap + keep.length) * row)); return o; };
    check(`compactRows ${dt}`, pick(back), pick(ref), 1e-7);
  }
});

guarded('dense ops', () => {
  const M = 37, K = 96, N = 70;
  const x = randn(M * K), w = randn(N * K), b = randn(N);
  const ref = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { let s = b[j]; for (let c = 0; c < K; c++) s += x[i * K + c] * w[j * K + c]; ref[i * N + j] = s; }
  for (const dt of ['f32', 'bf16']) {
    const o = empty(M * N);
    A.linear(o, dev(x), M, K, dev(w, dt), DT[dt], N, dev(b), DT.f32);
    check(`linear ${dt}`, host(o, M * N), ref, dt === 'f32' ? 1e-5 : 2e-2);
  }
  for (const [m, dt] of [[1, 'bf16'], [5, 'f16'], [8, 'bf16']]) {  // decode-sized rows
    const o = empty(m * N);
    A.linear(o, dev(x.subarray(0, m * K)), m, K, dev(w, dt), DT[dt], N, dev(b), DT.f32);
    check(`linear M=${m} ${dt}`, host(o, m * N), ref.subarray(0, m * N), 2e-2);
  }
  const g = new Float32Array(M * K);
  const o1 = empty(M * K); A.rmsNorm(o1, dev(x), M, K, dev(w.subarray(0, K)), DT.f32, 1e-6);
  for (let i = 0; i < M; i++) { let s = 0; for (let c = 0; c < K; c++) s += x[i * K + c] ** 2; const r = 1 / Math.sqrt(s / K + 1e-6); for (let c = 0; c < K; c++) g[i * K + c] = w[c] * x[i * K + c] * r; }
  check('rmsNorm', host(o1, M * K), g, 1e-5);
  const lb = randn(K);
  const o2 = empty(M * K); A.layerNorm(o2, dev(x), M, K, dev(w.subarray(0, K)), DT.f32, dev(lb), DT.f32, 1e-6);
  for (let i = 0; i < M; i++) { let m = 0; for (let c = 0; c < K; c++) m += x[i * K + c]; m /= K; let v = 0; for (let c = 0; c < K; c++) v += (x[i * K + c] - m) ** 2; const r = 1 / Math.sqrt(v / K + 1e-6); for (let c = 0; c < K; c++) g[i * K + c] = (x[i * K + c] - m) * r * w[c] + lb[c]; }
  check('layerNorm', host(o2, M * K), g, 1e-5);
  const erf = (z) => { const t = 1 / (1 + 0.5 * Math.abs(z)); const y = 1 - t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))); return z >= 0 ? y : -y; };
  const o3 = empty(M * K); A.gelu(o3, dev(x), M * K, false);
  check('gelu erf', host(o3, M * K), x.map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2))), 1e-5);
  const o4 = empty(M * K); A.gelu(o4, dev(x), M * K, true);
  check('gelu tanh', host(o4, M * K), x.map((z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)))), 1e-5);
  const u = randn(M * K);
  const o5 = empty(M * K); A.siluMul(o5, dev(x), dev(u), M * K);
  check('siluMul', host(o5, M * K), x.map((z, i) => z / (1 + Math.exp(-z)) * u[i]), 1e-5);
  const T = 9, H = 4, d = 24, pos = Int32Array.from({ length: T }, () => Math.floor(rand() * 60000));
  const inv = Float32Array.from({ length: d / 2 }, (_, i) => 1 / 1000000 ** ((2 * i) / d));
  const xr = randn(T * H * d), o6 = empty(T * H * d); A.rope(o6, dev(xr), T, H, d, pos, inv, 0);
  const rr = new Float32Array(T * H * d);
  for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let c = 0; c < d / 2; c++) {
    const a = Math.fround(pos[t] * inv[c]), co = Math.cos(a), si = Math.sin(a), base = (t * H + h) * d;
    rr[base + c] = xr[base + c] * co - xr[base + c + d / 2] * si; rr[base + c + d / 2] = xr[base + c + d / 2] * co + xr[base + c] * si;
  }
  check('rope (positions up to 60000)', host(o6, T * H * d), rr, 1e-4);
  // An explicit angle table [T, d/2] (M-RoPE streams, 2-D rotary): arbitrary angles, no positions.
  const ang = Float32Array.from({ length: T * d / 2 }, () => (rand() - 0.5) * 2000), o7 = empty(T * H * d);
  A.rope(o7, dev(xr), T, H, d, null, null, dev(ang));
  const ra = new Float32Array(T * H * d);
  for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let c = 0; c < d / 2; c++) {
    const a = ang[t * d / 2 + c], co = Math.cos(a), si = Math.sin(a), base = (t * H + h) * d;
    ra[base + c] = xr[base + c] * co - xr[base + c + d / 2] * si; ra[base + c + d / 2] = xr[base + c + d / 2] * co + xr[base + c] * si;
  }
  check('rope (angle table)', host(o7, T * H * d), ra, 1e-4);
  const ids = Int32Array.from({ length: 11 }, () => Math.floor(rand() * N));
  for (const dt of ['f32', 'bf16']) {
    const o7 = empty(11 * K); A.embed(o7, dev(w, dt), DT[dt], K, ids, N);
    const wr = dt === 'f32' ? w : bf16Round(w);
    check(`embed ${dt}`, host(o7, 11 * K), Float32Array.from({ length: 11 * K }, (_, i) => wr[ids[Math.floor(i / K)] * K + (i % K)]), 1e-7);
  }
  const o8 = empty(11 * K); A.gatherRows(o8, dev(w), DT.f32, K, ids, N);
  check('gatherRows', host(o8, 11 * K), Float32Array.from({ length: 11 * K }, (_, i) => w[ids[Math.floor(i / K)] * K + (i % K)]), 1e-7);
  // bilinear 27x27 -> 14x14 (LLaVA-OneVision video pooling), PyTorch align_corners=False.
  const F = 2, h = 27, ww = 27, oh = 14, ow = 14, C = 5, xb = randn(F * h * ww * C), o9 = empty(F * oh * ow * C);
  A.bilinear(o9, dev(xb), F, h, ww, oh, ow, C);
  const br = new Float32Array(F * oh * ow * C);
  const co = (o, n, m) => { const s = Math.max((o + 0.5) * (n / m) - 0.5, 0); const i0 = Math.min(Math.floor(s), n - 1); return [i0, Math.min(i0 + 1, n - 1), s - i0]; };
  for (let f = 0; f < F; f++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let c = 0; c < C; c++) {
    const [y0, y1, ly] = co(y, h, oh), [x0, x1, lx] = co(xx, ww, ow), at = (a, bb) => xb[((f * h + a) * ww + bb) * C + c];
    br[((f * oh + y) * ow + xx) * C + c] = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
  }
  check('bilinear 27->14', host(o9, F * oh * ow * C), br, 1e-5);
});

// ---- decode GEMV (gpu_gemv.cu) vs a double-precision JS reference -----------------------------------------------
// in(x) per mode (0 plain, 1 rmsNorm * aux, 2 silu(x) * aux), then out_s = in(x) · w_sᵀ + b_s + res_s, in doubles.
function gemvRef(M, K, x, mode, aux, eps, segs) {
  const xin = new Float64Array(M * K);
  for (let m = 0; m < M; m++) {
    let ss = 0;
    for (let k = 0; k < K; k++) ss += x[m * K + k] ** 2;
    const r = 1 / Math.sqrt(ss / K + eps);
    for (let k = 0; k < K; k++) {
      const v = x[m * K + k];
      xin[m * K + k] = mode === 1 ? v * r * aux[k] : mode === 2 ? v / (1 + Math.exp(-v)) * aux[m * K + k] : v;
    }
  }
  return segs.map(({ w, b, res, N }) => {
    const o = new Float32Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += xin[m * K + k] * w[n * K + k];
      o[m * N + n] = s + (b ? b[n] : 0) + (res ? res[m * N + n] : 0);
    }
    return o;
  });
}
for (const c of [
  { name: 'M=1 bf16 plain, 1 output, bias', M: 1, K: 3584, dt: 'bf16', mode: 0, Ns: [1003], bias: true, res: false },
  { name: 'M=1 bf16 rmsNorm, q/k/v outputs with bias', M: 1, K: 1024, dt: 'bf16', mode: 1, Ns: [896, 128, 130], bias: true, res: false },
  { name: 'M=1 bf16 silu*up, residual', M: 1, K: 4744, dt: 'bf16', mode: 2, Ns: [515], bias: false, res: true },
  { name: 'M=1 f16 rmsNorm, 2 outputs', M: 1, K: 2056, dt: 'f16', mode: 1, Ns: [301, 299], bias: false, res: false },
  { name: 'M=2 bf16 plain, bias + residual', M: 2, K: 776, dt: 'bf16', mode: 0, Ns: [257], bias: true, res: true },
  { name: 'M=3 bf16 rmsNorm, 3 outputs', M: 3, K: 512, dt: 'bf16', mode: 1, Ns: [64, 33, 7], bias: true, res: false },
  { name: 'M=4 f16 silu*up, 2 outputs, residual', M: 4, K: 8200, dt: 'f16', mode: 2, Ns: [99, 70], bias: false, res: true },
  { name: 'M=1 bf16 plain, 4 outputs, K=8', M: 1, K: 8, dt: 'bf16', mode: 0, Ns: [5, 1, 9, 3], bias: true, res: true },
]) guarded(`gemv: ${c.name}`, () => {
  const x = randn(c.M * c.K, 2), aux = c.mode === 1 ? randn(c.K, 1.5) : c.mode === 2 ? randn(c.M * c.K, 2) : null;
  const round = c.dt === 'bf16' ? bf16Round : f16Round;
  const segs = c.Ns.map((N) => {
    const w = randn(N * c.K, 0.1);
    return { N, w: round(w), wd: dev(w, c.dt), b: c.bias ? randn(N) : null, res: c.res ? randn(c.M * N) : null };
  });
  const refs = gemvRef(c.M, c.K, x, c.mode, aux, 1e-6, segs);
  const outs = segs.map((s) => empty(c.M * s.N));
  const spec = new Float64Array(segs.flatMap((s, i) => [s.wd, s.b ? dev(s.b) : 0, DT.f32, s.res ? dev(s.res) : 0, outs[i], s.N]));
  outs.forEach((o, i) => A.fill(o, DT.f32, c.M * segs[i].N, NaN));
  A.gemv(c.M, c.K, DT[c.dt], dev(x), c.mode, aux ? dev(aux) : 0, DT.f32, 1e-6, spec);
  segs.forEach((s, i) => check(`gemv: ${c.name} [out ${i}]`, host(outs[i], c.M * s.N), refs[i], 1e-4));
});
for (const c of [
  { name: 'M=1 bf16 rmsNorm, gate/up biased', M: 1, K: 3584, N: 1003, dt: 'bf16', mode: 1, bias: true },
  { name: 'M=3 bf16 rmsNorm', M: 3, K: 1032, N: 259, dt: 'bf16', mode: 1, bias: false },
  { name: 'M=2 f16 plain', M: 2, K: 512, N: 64, dt: 'f16', mode: 0, bias: true },
]) guarded(`gemv GLU (silu(gate) * up): ${c.name}`, () => {
  const x = randn(c.M * c.K, 2), aux = c.mode === 1 ? randn(c.K, 1.5) : null;
  const round = c.dt === 'bf16' ? bf16Round : f16Round;
  const segs = [0, 1].map(() => { const w = randn(c.N * c.K, 0.1); return { N: c.N, w: round(w), wd: dev(w, c.dt), b: c.bias ? randn(c.N) : null, res: null }; });
  const [g, u] = gemvRef(c.M, c.K, x, c.mode, aux, 1e-6, segs);
  const ref = g.map((v, i) => v / (1 + Math.exp(-v)) * u[i]);
  const out = empty(c.M * c.N);
  const spec = new Float64Array([segs[0].wd, segs[0].b ? dev(segs[0].b) : 0, DT.f32, 0, out, c.N, segs[1].wd, segs[1].b ? dev(segs[1].b) : 0, DT.f32, 0, 0, c.N]);
  A.gemv(c.M, c.K, DT[c.dt], dev(x), c.mode | 4, aux ? dev(aux) : 0, DT.f32, 1e-6, spec);
  check(`gemv GLU: ${c.name}`, host(out, c.M * c.N), ref, 1e-4);
});
guarded('ropeKvWrite (decode RoPE + KV cache write)', () => {
  const T = 3, Hq = 7, Hkv = 2, d = 128, cap = 40, at = 29, half = d / 2;
  const q = randn(T * Hq * d), k = randn(T * Hkv * d), v = randn(T * Hkv * d);
  const pos = Int32Array.from({ length: T }, () => Math.floor(rand() * 60000));
  const inv = Float32Array.from({ length: half }, (_, i) => 1 / 1000000 ** ((2 * i) / d));
  const rot = (x, H) => {
    const o = new Float32Array(x.length);
    for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let c = 0; c < half; c++) {
      const a = Math.fround(pos[t] * inv[c]), co = Math.cos(a), si = Math.sin(a), b = (t * H + h) * d;
      o[b + c] = x[b + c] * co - x[b + c + half] * si; o[b + c + half] = x[b + c + half] * co + x[b + c] * si;
    }
    return o;
  };
  // The angle table of the same positions must give the same result (the M-RoPE / 2-D rotary path).
  const table = Float32Array.from({ length: T * half }, (_, i) => Math.fround(pos[Math.floor(i / half)] * inv[i % half]));
  for (const [dt, viaTable] of [['bf16', false], ['f32', false], ['bf16', true]]) {
    const row = Hkv * d, kc = empty(cap * row, dt), vc = empty(cap * row, dt), qo = empty(T * Hq * d);
    if (viaTable) A.ropeKvWrite(qo, dev(q), dev(k), dev(v), T, Hq, Hkv, d, null, 0, kc, vc, DT[dt], at, dev(table));
    else A.ropeKvWrite(qo, dev(q), dev(k), dev(v), T, Hq, Hkv, d, pos, dev(inv), kc, vc, DT[dt], at, 0);
    check(`ropeKvWrite q ${dt}${viaTable ? ' (angle table)' : ''}`, host(qo, T * Hq * d), rot(q, Hq), 1e-4);
    const rows = (p) => { const t = A.alloc(cap * row * 4); A.cast(t, DT.f32, p, DT[dt], cap * row); const o = new Float32Array(cap * row); A.download(t, o); A.free(t); return o.subarray(at * row, (at + T) * row); };
    const r = dt === 'bf16' ? bf16Round : (a) => a;
    check(`ropeKvWrite k cache ${dt}`, rows(kc), r(rot(k, Hkv)), dt === 'bf16' ? 1e-2 : 1e-4);
    check(`ropeKvWrite v cache ${dt}`, rows(vc), r(v), 1e-7);
  }
});
guarded('argmaxRows (device greedy sampling)', () => {
  const rows = 3, V = 152064, x = randn(rows * V);
  x[V + 777] = 5; x[V + 99999] = 5;  // a tie: the lower index wins
  x[2 * V + 5] = NaN; x[2 * V + 150000] = 4;
  const ref = Array.from({ length: rows }, (_, r) => { let b = 0; for (let i = 1; i < V; i++) if (x[r * V + i] > x[r * V + b]) b = i; return b; });
  const xd = dev(x);
  const got = Array.from(A.argmaxRows(xd, rows, V));
  const ok = got.every((g, i) => g === ref[i]);
  results.checks.push({ name: 'argmaxRows 3 x 152064 (tie, NaN)', ok, err: ok ? 0 : 1, tol: 0 });
  console.log(`${ok ? 'PASS' : 'FAIL'} argmaxRows 3 x 152064 (tie, NaN): got ${got} want ${ref}`);
  time('argmaxRows 1 x 152064 incl. 4-byte download', () => A.argmaxRows(xd, 1, V), { reps: 20 });
  const buf = new Float32Array(V);
  time('baseline: download 152064 logits + JS argmax', () => { A.download(xd, buf); let b = 0; for (let i = 1; i < V; i++) if (buf[i] > buf[b]) b = i; }, { reps: 20 });
});
guarded('linear through gemv (gemvLinear) vs cuBLAS path', () => {
  const K = 3584, N = 777;
  const x = randn(3 * K), w = randn(N * K, 0.05), b = randn(N);
  const wd = dev(w, 'bf16'), xd = dev(x), bd = dev(b);
  const [ref] = gemvRef(3, K, x, 0, null, 0, [{ w: bf16Round(w), b, res: null, N }]);
  for (const M of [1, 3]) {
    for (const on of [true, false]) {
      A.configure({ gemvLinear: on });
      const o = empty(M * N);
      A.linear(o, xd, M, K, wd, DT.bf16, N, bd, DT.f32);
      // cuBLAS rounds x to bf16 first: 1e-2; the gemv path keeps x in f32.
      check(`linear M=${M} bf16 via ${on ? 'gemv' : 'cuBLAS'}`, host(o, M * N), ref.subarray(0, M * N), on ? 1e-4 : 2e-2);
    }
  }
  A.configure({ gemvLinear: false });
});

// ---- tensor-core saliency (v2, bf16 operands) vs SIMT (v1), decode attention v4 / v9 / split -------------------------
// Saliency tolerances. v1 is compared with the exact float64 reference at 2e-4. v2 rounds q and k to bf16 (unit roundoff u = 2^-8), so it is checked
// twice: (a) against the reference computed from the SAME rounded operands, at 2e-4 — that isolates the kernel's own
// arithmetic (exact bf16 products, f32 accumulation, ex2.approx); (b) against the exact reference at 2e-2: a score
// s = scale·Σ q_c k_c moves by |Δs| <= 2u·scale·Σ|q_c k_c|, RMS about u·sqrt(2/3)·|s|-scale (~0.01 at the test's score
// spread of ~3), each softmax term by ~|Δs| relative; the column mean averages hundreds of such errors, so a few
// 1e-3 of max|ref| is expected and 2e-2 leaves a 4-10x margin while still catching any real bug (wrong row, mask,
// lse: O(1) errors). Top-k: the selected sets must equal the reference's except for entries whose reference score
// lies within tol·max|ref| of the k-th score (near-ties the rounding may legitimately swap).
// f32 -> f16 -> f32, round half to even like the GPU cast (ties are common enough to matter at 2e-4).
const f16RoundD = (a) => {
  const o = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], u = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x) || 1e-30)), -14) - 10), r = x / u, fl = Math.floor(r), df = r - fl;
    o[i] = (df > 0.5 || (df === 0.5 && fl % 2 !== 0) ? fl + 1 : fl) * u;
  }
  return o;
};
function topkSet(a, k) { return new Set(Array.from(a.keys()).sort((x, y) => a[y] - a[x] || x - y).slice(0, k)); }
function checkTopk(name, got, ref, frames, Tk, frac, tol) {
  let max = 0;
  for (const v of ref) max = Math.max(max, Math.abs(v));
  const band = tol * max;
  let swapped = 0, bad = 0;
  const k = Math.max(1, Math.round(frac * Tk));
  for (let f = 0; f < frames; f++) {
    const g = got.subarray(f * Tk, (f + 1) * Tk), r = ref.subarray(f * Tk, (f + 1) * Tk);
    const sg = topkSet(g, k), sr = topkSet(r, k);
    const kth = [...sr].reduce((m, j) => Math.min(m, r[j]), Infinity);
    for (const j of sg) if (!sr.has(j)) { swapped++; if (Math.abs(r[j] - kth) > band) bad++; }
    for (const j of sr) if (!sg.has(j)) { if (Math.abs(r[j] - kth) > band) bad++; }
  }
  const ok = bad === 0;
  results.checks.push({ name, ok, swapped, bad, k, band });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: top-${k} of ${Tk} x ${frames}: ${swapped} swapped, ${bad} outside the near-tie band ${band.toExponential(2)}`);
}
for (const c of [
  { name: 'saliency SigLIP frame (729, 16x72), 2 frames', frames: 2, Tq: 729, Tk: 729, Hq: 16, Hkv: 16, d: 72, causal: -1, dt: 'f32', keep: 0.25 },
  { name: 'retrieval 32 rows GQA 7:1 d128 causal, bf16 cache', frames: 1, Tq: 32, Tk: 5003, Hq: 28, Hkv: 4, d: 128, causal: 4971, dt: 'bf16', keep: 0.1 },
  { name: 'retrieval 23 rows GQA 7:1 d128 causal, bf16, 3001 keys', frames: 1, Tq: 23, Tk: 3001, Hq: 28, Hkv: 4, d: 128, causal: 2978, dt: 'bf16', keep: 0.1 },
  { name: 'colmean f16 K, d64, GQA 2:1, 70 rows', frames: 1, Tq: 70, Tk: 130, Hq: 4, Hkv: 2, d: 64, causal: -1, dt: 'f16', keep: 0.25 },
  { name: 'colmean odd d 37, 2 frames, GQA 3:1 causal', frames: 2, Tq: 41, Tk: 300, Hq: 6, Hkv: 2, d: 37, causal: 259, dt: 'f32', keep: 0.25 },
]) guarded(`colMeanSoftmax versions: ${c.name}`, () => {
  const q = randn(c.frames * c.Tq * c.Hq * c.d, 3), k = randn(c.frames * c.Tk * c.Hkv * c.d, 3);
  const kStored = c.dt === 'bf16' ? bf16Round(k) : c.dt === 'f16' ? f16RoundD(k) : k;
  const refOf = (qq, kk) => {
    const ref = new Float32Array(c.frames * c.Tk);
    for (let f = 0; f < c.frames; f++) {
      const qf = qq.subarray(f * c.Tq * c.Hq * c.d, (f + 1) * c.Tq * c.Hq * c.d), kf = kk.subarray(f * c.Tk * c.Hkv * c.d, (f + 1) * c.Tk * c.Hkv * c.d);
      ref.set(A.cpuColMeanSoftmax(qf, kf, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal), f * c.Tk);
    }
    return ref;
  };
  const exact = refOf(q, kStored), rounded = refOf(bf16Round(q), bf16Round(kStored));
  const qd = dev(q), kd = dev(k, c.dt);
  for (const v of [1, 2]) {
    A.configure({ saliency: v === 1 ? 'simt' : 'tensor-core' });
    const out = empty(c.frames * c.Tk);
    A.colMeanSoftmax(out, qd, kd, DT[c.dt], c.Hkv * c.d, c.frames, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal);
    const got = host(out, c.frames * c.Tk);
    if (v === 2) {
      check(`colMeanSoftmax v2 vs bf16-operand reference: ${c.name}`, got, rounded, 2e-4);
      check(`colMeanSoftmax v2 vs exact reference: ${c.name}`, got, exact, 2e-2);
      checkTopk(`colMeanSoftmax v2 top-k vs exact: ${c.name}`, got, exact, c.frames, c.Tk, c.keep, 2e-2);
    } else {
      check(`colMeanSoftmax v${v} vs exact reference: ${c.name}`, got, exact, 2e-4);
      checkTopk(`colMeanSoftmax v${v} top-k vs exact: ${c.name}`, got, exact, c.frames, c.Tk, c.keep, 2e-4);
    }
  }
  A.configure({ saliency: 'tensor-core' });
});

for (const c of [
  { name: 'decode 1 row GQA 7:1 d128 bf16, 30011 slots (multi-tile blocks)', Tq: 1, Tk: 30011, Hq: 28, Hkv: 4, d: 128, causal: 30010, dt: 'bf16', sel: 0 },
  { name: 'decode 1 row GQA 7:1 d128 bf16, 10% of 20000 slots', Tq: 1, Tk: 20000, Hq: 28, Hkv: 4, d: 128, causal: 19999, dt: 'bf16', sel: 0.1 },
  { name: 'decode 4 rows GQA 7:1 d128 bf16 causal tail, 60% slots', Tq: 4, Tk: 3000, Hq: 28, Hkv: 4, d: 128, causal: 2996, dt: 'bf16', sel: 0.6 },
  { name: 'decode 1 row GQA 2:1 d64 f16, 5000 slots', Tq: 1, Tk: 5000, Hq: 4, Hkv: 2, d: 64, causal: 4999, dt: 'f16', sel: 0 },
  { name: 'decode 2 rows GQA 6:1 d128 bf16, 37 slots', Tq: 2, Tk: 37, Hq: 12, Hkv: 2, d: 128, causal: 35, dt: 'bf16', sel: 0 },
  { name: 'decode 1 row GQA 8:1 d64 bf16, 25% of 9000', Tq: 1, Tk: 9000, Hq: 8, Hkv: 1, d: 64, causal: 8999, dt: 'bf16', sel: 0.25 },
  // v9 block sizing: 1 slot, one partial, a few blocks, ~20 / ~40 / the 128-block cap; f16; G = 4 and 8
  ...[1, 7, 129, 1258, 5018, 50177].map((n) => ({ name: `decode 1 row GQA 7:1 d128 bf16, ${n} listed slots of ${n + 17}`, Tq: 1, Tk: n + 17, Hq: 28, Hkv: 4, d: 128, causal: n + 16, dt: 'bf16', sel: 0, nSel: n })),
  { name: 'decode 1 row GQA 7:1 d128 f16, 5018 listed slots', Tq: 1, Tk: 5100, Hq: 28, Hkv: 4, d: 128, causal: 5099, dt: 'f16', sel: 0, nSel: 5018 },
  { name: 'decode 3 rows GQA 4:1 d128 bf16 causal tail, 1258 listed slots', Tq: 3, Tk: 1300, Hq: 16, Hkv: 4, d: 128, causal: 1297, dt: 'bf16', sel: 0, nSel: 1258, tail: true },
  { name: 'decode 1 row GQA 8:1 d64 f16, 50177 slots', Tq: 1, Tk: 50177, Hq: 8, Hkv: 1, d: 64, causal: 50176, dt: 'f16', sel: 0 },
]) guarded(`attention decode versions: ${c.name}`, () => {
  const q = randn(c.Tq * c.Hq * c.d), k = randn(c.Tk * c.Hkv * c.d, 2), v = randn(c.Tk * c.Hkv * c.d);
  let slots = null;
  if (c.sel) {
    const s = [0];
    for (let j = 1; j < c.Tk; j++) if (rand() < c.sel) s.push(j);
    slots = Int32Array.from(s);
  }
  if (c.nSel) {  // nSel random ascending slots (with tail: the last ones, so the causal limit cuts rows 0/1)
    const all = Array.from({ length: c.Tk }, (_, j) => j);
    if (!c.tail) for (let j = all.length - 1; j > 0; j--) { const r = Math.floor(rand() * (j + 1)); [all[j], all[r]] = [all[r], all[j]]; }
    slots = Int32Array.from((c.tail ? all.slice(c.Tk - c.nSel) : all.slice(0, c.nSel)).sort((x, y) => x - y));
  }
  const round = c.dt === 'f16' ? f16RoundD : bf16Round;
  const ref = A.cpuSlotAttention(q, round(k), round(v), c.Tq, c.Tk, c.Hq, c.Hkv, c.d, 1 / Math.sqrt(c.d), c.causal, slots);
  const qd = dev(q), kd = dev(k, c.dt), vd = dev(v, c.dt);
  for (const ver of c.nSel ? ['v4', 'v9'] : ['split', 'v4', 'v9']) {
    A.configure({ decodeAttention: ver });
    const out = empty(c.Tq * c.Hq * c.d);
    A.attention(out, qd, c.Tq, c.Hq, c.Hkv, c.d, kd, vd, DT[c.dt], c.Hkv * c.d, c.Tk, 1 / Math.sqrt(c.d), c.causal, slots);
    // K/V are exact in the reference (rounded the same way); only f32 accumulation order and __expf differ.
    check(`attention decode ${ver}: ${c.name}`, host(out, c.Tq * c.Hq * c.d), ref, 1e-4);
  }
  A.configure({ decodeAttention: 'auto' });
});

// ---- timings ---------------------------------------------------------------------------------------------------
guarded('timings', () => {
  // Copy bandwidth (bytes read + written).
  const bytes = 2 ** 31, s = A.alloc(bytes), d = A.alloc(bytes); live.push(s, d);
  A.randomFill(s, DT.f32, bytes / 4, 1, 1);
  const copyMs = time('device copy 2 GiB', () => A.copy(d, s, bytes), { extra: (ms) => ({ GBps: (2 * bytes) / ms / 1e6 }) });
  results.copyGBps = (2 * bytes) / copyMs / 1e6;

  // Saliency: SigLIP-so400m frames (729 patches, 16 heads x 72), 64 frames.
  const F = 64, T = 729, H = 16, dd = 72;
  const q = A.alloc(F * T * H * dd * 4), k = A.alloc(F * T * H * dd * 4), o = A.alloc(F * T * 4); live.push(q, k, o);
  A.randomFill(q, DT.f32, F * T * H * dd, 2, 2); A.randomFill(k, DT.f32, F * T * H * dd, 3, 2);
  const flop = 2 * 2 * F * H * T * T * dd;  // two passes of q·k
  time('saliency streaming 64 frames SigLIP-so400m', () => A.colMeanSoftmax(o, q, k, DT.f32, H * dd, F, T, T, H, H, dd, 1 / Math.sqrt(dd), -1),
    { extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });

  // GEMMs (Qwen2-7B MLP up projection), prefill-sized and decode-sized.
  const Kd = 3584, Nd = 18944;
  const w = A.alloc(Kd * Nd * 2); live.push(w); A.randomFill(w, DT.bf16, Kd * Nd, 4, 0.02);
  for (const M of [1, 8192]) {
    const x = A.alloc(M * Kd * 4), y = A.alloc(M * Nd * 4); live.push(x, y);
    A.randomFill(x, DT.f32, M * Kd, 5, 1);
    time(`linear bf16 M=${M} K=${Kd} N=${Nd}`, () => A.linear(y, x, M, Kd, w, DT.bf16, Nd, 0, 0),
      { extra: (ms) => ({ TFLOPs: (2 * M * Kd * Nd) / ms / 1e9, GBps: (Kd * Nd * 2 + M * (Kd + Nd) * 4) / ms / 1e6 }) });
  }

  // Attention at Qwen2-7B geometry (28 q heads, 4 kv heads, d 128), bf16 cache of L slots.
  const Hq = 28, Hkv = 4, hd = 128, L = 50177;
  const Kc = A.alloc(L * Hkv * hd * 2), Vc = A.alloc(L * Hkv * hd * 2); live.push(Kc, Vc);
  A.randomFill(Kc, DT.bf16, L * Hkv * hd, 6, 1); A.randomFill(Vc, DT.bf16, L * Hkv * hd, 7, 1);
  const q1 = A.alloc(64 * Hq * hd * 4), o1 = A.alloc(64 * Hq * hd * 4); live.push(q1, o1);
  A.randomFill(q1, DT.f32, 64 * Hq * hd, 8, 1);
  for (const want of [L, 12545, 5018, 1258]) {  // dense; ~1/4, ~1/10, ~1/40 of the cache, evenly spread
    const sel = want === L ? null : Int32Array.from({ length: want }, (_, j) => Math.floor((j * L) / want));
    const n = sel ? sel.length : L;
    time(`decode attention 1 row over ${n} of ${L} slots (bf16)`, () => A.attention(o1, q1, 1, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, L, 1 / Math.sqrt(hd), L - 1, sel),
      { reps: 20, extra: (ms) => ({ GBps: (2 * n * Hkv * hd * 2) / ms / 1e6 }) });
  }
  const colL = A.alloc(L * 4); live.push(colL);
  time(`retrieval scores: 32 question rows over ${L} slots`, () => A.colMeanSoftmax(colL, q1, Kc, DT.bf16, Hkv * hd, 1, 32, L, Hq, Hkv, hd, 1 / Math.sqrt(hd), L - 32));
  // A question turn over a long prefix (few query rows, many keys): where flash has few row tiles to spread.
  for (const rows of [64, 640]) {
    const qx = A.alloc(rows * Hq * hd * 4), ox = A.alloc(rows * Hq * hd * 4); live.push(qx, ox);
    A.randomFill(qx, DT.f32, rows * Hq * hd, 12, 1);
    let refOut = null;
    for (const mode of ['cublas', 'auto']) {
      A.configure({ prefillAttention: mode });
      time(`prefill attention ${rows} rows over ${L} slots, causal (bf16, ${mode === 'auto' ? 'flash' : 'cuBLAS chunks'})`,
        () => A.attention(ox, qx, rows, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, L, 1 / Math.sqrt(hd), L - rows, null),
        { reps: 5, extra: (ms) => ({ TFLOPs: (2 * 2 * Hq * hd * rows * L) / ms / 1e9 }) });
      if (mode === 'cublas') refOut = host(ox, rows * Hq * hd);
      else check(`attention (flash) vs cuBLAS chunks: ${rows} rows over ${L} slots (key splits)`, host(ox, rows * Hq * hd), refOut, 1e-2);
    }
  }
  for (const Tq of [12544, 50176]) {
    const qp = A.alloc(Tq * Hq * hd * 4), op = A.alloc(Tq * Hq * hd * 4); live.push(qp, op);
    A.randomFill(qp, DT.f32, Tq * Hq * hd, 9, 1);
    // auto: wgmma v9 on Hopper; mma: flash v2 (non-Hopper GPUs); cublas: the chunked path.
    const label = { auto: 'flash auto', mma: 'flash v2 (mma.sync)', cublas: 'cuBLAS chunks' };
    for (const mode of ['auto', 'mma', 'cublas']) {
      A.configure({ prefillAttention: mode });
      time(`prefill attention causal ${Tq} rows (one layer, bf16, ${label[mode]})`, () => A.attention(op, qp, Tq, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, Tq, 1 / Math.sqrt(hd), 0, null),
        { reps: mode === 'cublas' ? 3 : 5, warm: 1, extra: (ms) => ({ TFLOPs: (2 * 2 * Hq * hd * Tq * Tq / 2) / ms / 1e9 }) });
    }
    // Many row tiles at the real geometry: the flash kernels against the cuBLAS chunked path (both on the GPU).
    if (Tq < 20000) {
      const run = (mode) => {
        A.configure({ prefillAttention: mode });
        A.fill(op, DT.f32, Tq * Hq * hd, NaN);
        A.attention(op, qp, Tq, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, Tq, 1 / Math.sqrt(hd), 0, null);
        return host(op, Tq * Hq * hd);
      };
      const refOut = run('cublas');
      for (const mode of ['auto', 'mma']) check(`attention (${label[mode]}) vs cuBLAS chunks: causal ${Tq} rows, 28/4 heads d128 bf16`, run(mode), refOut, 1e-2);
    }
    // Non-causal (full) attention, e.g. a long prefix over itself without the mask: twice the causal FLOPs.
    if (Tq < 20000) {
      for (const mode of ['auto', 'mma', 'cublas']) {
        A.configure({ prefillAttention: mode });
        time(`prefill attention full ${Tq} rows (one layer, bf16, ${label[mode]})`, () => A.attention(op, qp, Tq, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, Tq, 1 / Math.sqrt(hd), -1, null),
          { reps: 3, warm: 1, extra: (ms) => ({ TFLOPs: (2 * 2 * Hq * hd * Tq * Tq) / ms / 1e9 }) });
      }
    }
    A.configure({ prefillAttention: 'auto' });
  }
  // Decode-sized GEMM against the lm_head (152064 x 3584 bf16).
  const wl = A.alloc(152064 * 3584 * 2), xl = A.alloc(3584 * 4), yl = A.alloc(152064 * 4); live.push(wl, xl, yl);
  A.randomFill(wl, DT.bf16, 152064 * 3584, 10, 0.02); A.randomFill(xl, DT.f32, 3584, 11, 1);
  time('linear M=1 lm_head 152064x3584 bf16', () => A.linear(yl, xl, 1, 3584, wl, DT.bf16, 152064, 0, 0),
    { reps: 20, extra: (ms) => ({ GBps: (152064 * 3584 * 2) / ms / 1e6 }) });
});

// ---- decode GEMV timings: ours vs cuBLAS M=1 on the Qwen2-7B shapes (back-to-back calls, one sync per batch) ---
guarded('gemv timings', () => {
  const H = 3584, I = 18944, KV = 512, V = 152064;
  const x = A.alloc(I * 4 * 4), x2 = A.alloc(I * 4 * 4), nw = A.alloc(I * 4), y = A.alloc(V * 4 * 4), y2 = A.alloc(I * 4 * 4), y3 = A.alloc(I * 4);
  live.push(x, x2, nw, y, y2, y3);
  A.randomFill(x, DT.f32, I * 4, 21, 1); A.randomFill(x2, DT.f32, I * 4, 22, 1); A.randomFill(nw, DT.f32, I, 23, 1);
  const W = {};
  for (const [name, N, K] of [['q', H, H], ['k', KV, H], ['v', KV, H], ['gate', I, H], ['up', I, H], ['down', H, I], ['lm_head', V, H]]) {
    W[name] = { p: A.alloc(N * K * 2), N, K }; live.push(W[name].p); A.randomFill(W[name].p, DT.bf16, N * K, 30 + N, 0.02);
  }
  const bias = A.alloc(H * 4); live.push(bias); A.randomFill(bias, DT.f32, H, 40, 0.1);
  const seg = (w, out, b = 0, res = 0) => [w.p, b, DT.f32, res, out, w.N];
  const summary = [];
  for (const name of ['gate', 'down', 'q', 'k', 'lm_head']) {
    const w = W[name], bytes = w.N * w.K * 2;
    A.configure({ gemvLinear: false });
    const tb = batch(`M=1 ${w.N}x${w.K} cuBLAS (cast + GEMM)`, () => A.linear(y, x, 1, w.K, w.p, DT.bf16, w.N, 0, 0), bytes);
    const spec = new Float64Array(seg(w, y));
    const tv = batch(`M=1 ${w.N}x${w.K} gemv`, () => A.gemv(1, w.K, DT.bf16, x, 0, 0, DT.f32, 0, spec), bytes);
    for (const M of [2, 4]) batch(`M=${M} ${w.N}x${w.K} gemv (M rows)`, () => A.gemv(M, w.K, DT.bf16, x, 0, 0, DT.f32, 0, spec), bytes);
    summary.push(`${name} ${w.N}x${w.K}: cuBLAS ${(tb * 1e3).toFixed(1)} us, gemv ${(tv * 1e3).toFixed(1)} us`);
  }
  // Fused layer pieces vs the unfused op sequence the model runs today.
  const qkv = new Float64Array([...seg(W.q, y, bias), ...seg(W.k, y2, bias), ...seg(W.v, y3, bias)]);
  const qkvBytes = (H + 2 * KV) * H * 2;
  batch('fused rmsNorm + q/k/v + bias (1 launch)', () => A.gemv(1, H, DT.bf16, x, 1, nw, DT.f32, 1e-6, qkv), qkvBytes);
  A.configure({ gemvLinear: false });
  batch('unfused rmsNorm, 3 x cuBLAS linear + bias', () => {
    A.rmsNorm(x2, x, 1, H, nw, DT.f32, 1e-6);
    A.linear(y, x2, 1, H, W.q.p, DT.bf16, H, bias, DT.f32); A.linear(y2, x2, 1, H, W.k.p, DT.bf16, KV, bias, DT.f32);
    A.linear(y3, x2, 1, H, W.v.p, DT.bf16, KV, bias, DT.f32);
  }, qkvBytes);
  const gu = new Float64Array([...seg(W.gate, y), ...seg(W.up, y2)]);
  batch('fused rmsNorm + gate/up (1 launch)', () => A.gemv(1, H, DT.bf16, x, 1, nw, DT.f32, 1e-6, gu), 2 * I * H * 2);
  const glu = new Float64Array([...seg(W.gate, y2), ...seg(W.up, 0)]);
  batch('fused rmsNorm + gate/up + silu*up (GLU epilogue, 1 launch)', () => A.gemv(1, H, DT.bf16, x, 1 | 4, nw, DT.f32, 1e-6, glu), 2 * I * H * 2);
  batch('down + residual (plain input, 1 launch)', () => A.gemv(1, I, DT.bf16, x, 0, 0, DT.f32, 0, new Float64Array(seg(W.down, y3, 0, x))), I * H * 2);
  const dn = new Float64Array(seg(W.down, y3, 0, x));
  batch('fused silu*up + down + residual (1 launch)', () => A.gemv(1, I, DT.bf16, x, 2, x2, DT.f32, 0, dn), I * H * 2);
  // The GEMVs of a whole decode step (28 layers of qkv, o + residual, GLU, down + residual; lm_head), back to back,
  // with and without programmatic dependent launch: the GEMV part of ms/token.
  const oSpec = new Float64Array(seg(W.q, y2, 0, x)), dnSpec = new Float64Array(seg(W.down, y3, 0, x)), lmSpec = new Float64Array(seg(W.lm_head, y));
  const stepBytes = 28 * (qkvBytes + H * H * 2 + 3 * I * H * 2) + V * H * 2;
  for (const pdl of [true, false]) {
    A.configure({ gemvPdl: pdl });
    batch(`decode-step GEMVs (28 layers + lm_head), PDL ${pdl ? 'on' : 'off'}`, () => {
      for (let l = 0; l < 28; l++) {
        A.gemv(1, H, DT.bf16, x, 1, nw, DT.f32, 1e-6, qkv); A.gemv(1, H, DT.bf16, x, 0, 0, DT.f32, 0, oSpec);
        A.gemv(1, H, DT.bf16, x, 1 | 4, nw, DT.f32, 1e-6, glu); A.gemv(1, I, DT.bf16, x, 0, 0, DT.f32, 0, dnSpec);
      }
      A.gemv(1, H, DT.bf16, x, 0, 0, DT.f32, 0, lmSpec);
    }, stepBytes, 4);
  }
  A.configure({ gemvPdl: true, gemvLinear: true });
  batch('linear() routed to gemv, M=1 gate', () => A.linear(y, x, 1, H, W.gate.p, DT.bf16, I, 0, 0), I * H * 2);
  A.configure({ gemvLinear: false });
  console.log(`GEMV SUMMARY\n  ${summary.join('\n  ')}`);
});

// ---- timings: saliency v1/v2, retrieval scores v1/v2, decode attention split / v4 / v9 -----------------------------
guarded('timings (saliency, retrieval, decode versions)', () => {
  const F = 64, T = 729, H = 16, dd = 72;
  const q = A.alloc(F * T * H * dd * 4), k = A.alloc(F * T * H * dd * 4), o = A.alloc(F * T * 4); live.push(q, k, o);
  A.randomFill(q, DT.f32, F * T * H * dd, 2, 2); A.randomFill(k, DT.f32, F * T * H * dd, 3, 2);
  const flop = 2 * 2 * F * H * T * T * dd;
  for (const v of [1, 2]) {
    A.configure({ saliency: v === 1 ? 'simt' : 'tensor-core' });
    time(`saliency v${v} 64 frames SigLIP-so400m`, () => A.colMeanSoftmax(o, q, k, DT.f32, H * dd, F, T, T, H, H, dd, 1 / Math.sqrt(dd), -1),
      { extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  }
  const Hq = 28, Hkv = 4, hd = 128, L = 50177;
  const Kc = A.alloc(L * Hkv * hd * 2), Vc = A.alloc(L * Hkv * hd * 2); live.push(Kc, Vc);
  A.randomFill(Kc, DT.bf16, L * Hkv * hd, 6, 1); A.randomFill(Vc, DT.bf16, L * Hkv * hd, 7, 1);
  const q1 = A.alloc(64 * Hq * hd * 4), o1 = A.alloc(64 * Hq * hd * 4), colL = A.alloc(L * 4); live.push(q1, o1, colL);
  A.randomFill(q1, DT.f32, 64 * Hq * hd, 8, 1);
  for (const v of [1, 2]) {
    A.configure({ saliency: v === 1 ? 'simt' : 'tensor-core' });
    time(`retrieval scores v${v}: 32 question rows over ${L} slots`, () => A.colMeanSoftmax(colL, q1, Kc, DT.bf16, Hkv * hd, 1, 32, L, Hq, Hkv, hd, 1 / Math.sqrt(hd), L - 32),
      { extra: (ms) => ({ GBps: (L * Hkv * hd * 2) / ms / 1e6 }) });
  }
  A.configure({ saliency: 'tensor-core' });
  for (const want of [L, 12545, 5018, 1258]) {  // dense; ~1/4, ~1/10, ~1/40 of the cache, evenly spread
    const sel = want === L ? null : Int32Array.from({ length: want }, (_, j) => Math.floor((j * L) / want));
    const n = sel ? sel.length : L;
    const bytes = 2 * n * Hkv * hd * 2, call = () => A.attention(o1, q1, 1, Hq, Hkv, hd, Kc, Vc, DT.bf16, Hkv * hd, L, 1 / Math.sqrt(hd), L - 1, sel);
    for (const ver of ['split', 'v4', 'v9', 'auto']) {
      A.configure({ decodeAttention: ver });
      time(`decode attention ${ver} 1 row over ${n} of ${L} slots (bf16)`, call,
        { reps: 50, warm: 5, extra: (ms) => ({ GBps: bytes / ms / 1e6, floorUs: bytes / 2.95e6 }) });
      // 40 calls back to back, one sync (as inside a decode step): no per-call sync latency in the number.
      for (let i = 0; i < 3; i++) call();
      A.sync();
      const per = [];
      for (let r = 0; r < 7; r++) { const t0 = process.hrtime.bigint(); for (let i = 0; i < 40; i++) call(); A.sync(); per.push(Number(process.hrtime.bigint() - t0) / 1e6 / 40); }
      per.sort((x, y) => x - y);
      const row = { name: `decode attention ${ver} 1 row over ${n} of ${L} slots (bf16), 40 back to back`, ms: per[3], min: per[0], max: per[6], GBps: bytes / per[3] / 1e6, floorUs: bytes / 2.95e6 };
      results.timings.push(row);
      console.log(`TIME ${row.name}: ${(per[3] * 1e3).toFixed(1)} us/call ${JSON.stringify(row)}`);
    }
  }
  A.configure({ decodeAttention: 'auto' });
});

// Vision tower attention, 64 SigLIP-so400m frames (729 rows, 16 heads x 72): flash vs blockAttention (cuBLAS).
guarded('flash vision attention timings', () => {
  const F = 64, T = 729, H = 16, dd = 72, n = F * T * H * dd, scale = 1 / Math.sqrt(dd);
  const [q, k, v, o1, o2] = [0, 1, 2, 3, 4].map(() => { const p = A.alloc(n * 4); live.push(p); return p; });
  A.randomFill(q, DT.f32, n, 21, 2); A.randomFill(k, DT.f32, n, 22, 2); A.randomFill(v, DT.f32, n, 23, 1);
  const flop = 2 * 2 * F * H * T * T * dd;
  time('vision attention 64 frames (blockAttention, cuBLAS bf16)', () => A.blockAttention(o1, q, k, v, F, T, H, dd, DT.bf16, scale),
    { reps: 5, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  const ref = host(o1, n);  // o1 holds blockAttention's output
  time('vision attention 64 frames (flash v2, bf16)', () => A.flashBlockAttention(o2, q, k, v, F, T, H, dd, DT.bf16, scale),
    { reps: 5, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  check('flashBlockAttention vs blockAttention: 64 frames x 729, 16x72 bf16', host(o2, n), ref, 1e-2);
});

// ---- prefill q/k/v as one GEMM + bias + RoPE + KV-cache write (gpu_prefill.cu qkvRopeKv) ----------------------------
// The d 6 shape takes the one-column kernel (v1, the fallback where d % 4 != 0); the others the two-column v2.
guarded('qkvRopeKv (prefill q/k/v one GEMM + bias + RoPE + KV write)', () => {
  for (const c of [
    { T: 37, K: 200, Hq: 7, Hkv: 1, d: 128, dt: 'bf16', xdt: 'bf16', at: 5, cap: 50 },
    { T: 19, K: 96, Hq: 4, Hkv: 2, d: 64, dt: 'f16', xdt: 'f32', at: 0, cap: 20 },
    { T: 6, K: 48, Hq: 3, Hkv: 3, d: 6, dt: 'bf16', xdt: 'f32', at: 2, cap: 9 },
  ]) {
    const { T, K, Hq, Hkv, d, dt, at, cap } = c, half = d / 2, N = (Hq + 2 * Hkv) * d, kvRow = Hkv * d;
    const round = dt === 'bf16' ? bf16Round : f16Round;
    const x = randn(T * K, 2), w = randn(N * K, 0.3), b = randn(N, 3);
    const pos = Int32Array.from({ length: T }, () => Math.floor(rand() * 60000));
    const inv = Float32Array.from({ length: half }, (_, i) => 1 / 1000000 ** ((2 * i) / d));
    const xr = round(x), wr = round(w), C = new Float32Array(T * N);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) { let s = 0; for (let k = 0; k < K; k++) s += xr[t * K + k] * wr[n * K + k]; C[t * N + n] = s; }
    const Cr = C;  // the GEMM writes f32 (bias + RoPE on the unrounded product, as on the plain path)
    const qRef = new Float32Array(T * Hq * d), kRef = new Float32Array(T * kvRow), vRef = new Float32Array(T * kvRow);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < Hq + Hkv; h++) for (let i = 0; i < half; i++) {
        const a = Math.fround(pos[t] * inv[i]), co = Math.cos(a), si = Math.sin(a);
        const x1 = Cr[t * N + h * d + i] + b[h * d + i], x2 = Cr[t * N + h * d + i + half] + b[h * d + i + half];
        const [o, base] = h < Hq ? [qRef, (t * Hq + h) * d] : [kRef, t * kvRow + (h - Hq) * d];
        o[base + i] = x1 * co - x2 * si; o[base + i + half] = x2 * co + x1 * si;
      }
      for (let j = 0; j < kvRow; j++) vRef[t * kvRow + j] = Cr[t * N + (Hq + Hkv) * d + j] + b[(Hq + Hkv) * d + j];
    }
    // Each case twice: positions + frequencies, then the angle table of the same positions (same reference).
    const table = Float32Array.from({ length: T * half }, (_, i) => Math.fround(pos[Math.floor(i / half)] * inv[i % half]));
    for (const viaTable of [false, true]) {
    const qo = empty(T * Hq * d), kc = empty(cap * kvRow, dt), vc = empty(cap * kvRow, dt);
    if (viaTable) A.qkvRopeKv(qo, dev(x, c.xdt), DT[c.xdt], T, K, dev(w, dt), DT[dt], dev(b), DT.f32, Hq, Hkv, d, null, null, kc, vc, DT[dt], at, dev(table));
    else A.qkvRopeKv(qo, dev(x, c.xdt), DT[c.xdt], T, K, dev(w, dt), DT[dt], dev(b), DT.f32, Hq, Hkv, d, pos, inv, kc, vc, DT[dt], at, 0);
    const name = `qkvRopeKv ${dt} weights, ${c.xdt} x, ${T} rows, ${Hq}+2x${Hkv} heads of ${d}, slots from ${at}${viaTable ? ' (angle table)' : ''}`;
    check(`${name}: q`, host(qo, T * Hq * d), qRef, 1e-3);  // f32 GEMM output: q is not rounded to 16 bits
    const all = (p) => { const f = empty(cap * kvRow); A.cast(f, DT.f32, p, DT[dt], cap * kvRow); return host(f, cap * kvRow); };
    const ka = all(kc), va = all(vc);
    check(`${name}: k cache`, ka.subarray(at * kvRow, (at + T) * kvRow), round(kRef), 1e-2);
    check(`${name}: v cache`, va.subarray(at * kvRow, (at + T) * kvRow), round(vRef), 1e-2);
    const outside = [...ka.subarray(0, at * kvRow), ...ka.subarray((at + T) * kvRow), ...va.subarray(0, at * kvRow), ...va.subarray((at + T) * kvRow)];
    const ok = outside.every((v) => Number.isNaN(v));
    results.checks.push({ name: `${name}: other cache slots untouched`, ok });
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: other cache slots untouched`);
    }
  }
});
guarded('qkvRopeKv timings', () => {
  // Qwen2-7B layer, 12559 prefill rows (64 frames): fused vs the separate ops the plain path runs.
  const T = 12559, K = 3584, Hq = 28, Hkv = 4, d = 128, N = (Hq + 2 * Hkv) * d, kvRow = Hkv * d, qd = Hq * d;
  const buf = (n, dt) => { const p = A.alloc(n * (dt === 'f32' ? 4 : 2)); live.push(p); return p; };
  const x = buf(T * K, 'bf16'), w = buf(N * K, 'bf16'), b = buf(N, 'f32');
  A.randomFill(x, DT.bf16, T * K, 31, 1); A.randomFill(w, DT.bf16, N * K, 32, 0.05); A.randomFill(b, DT.f32, N, 33, 1);
  const kc = buf(T * kvRow, 'bf16'), vc = buf(T * kvRow, 'bf16'), q = buf(T * qd, 'f32');
  const q0 = buf(T * qd, 'f32'), k0 = buf(T * kvRow, 'f32'), v0 = buf(T * kvRow, 'f32'), k1 = buf(T * kvRow, 'f32');
  const pos = Int32Array.from({ length: T }, (_, i) => i);
  const inv = Float32Array.from({ length: d / 2 }, (_, i) => 1 / 1000000 ** ((2 * i) / d));
  const flop = 2 * T * K * N;
  const wk = w + qd * K * 2, wv = wk + kvRow * K * 2, bk = b + qd * 4, bv = bk + kvRow * 4;
  time(`prefill q/k/v separate (3 linearLowp + 2 rope + 2 writeRows), ${T} rows 7B`, () => {
    A.linearLowp(q0, x, DT.bf16, T, K, w, DT.bf16, qd, b, DT.f32);
    A.linearLowp(k0, x, DT.bf16, T, K, wk, DT.bf16, kvRow, bk, DT.f32);
    A.linearLowp(v0, x, DT.bf16, T, K, wv, DT.bf16, kvRow, bv, DT.f32);
    A.rope(q, q0, T, Hq, d, pos, inv, 0); A.rope(k1, k0, T, Hkv, d, pos, inv, 0);
    A.writeRows(kc, DT.bf16, kvRow, 0, k1, T); A.writeRows(vc, DT.bf16, kvRow, 0, v0, T);
  }, { reps: 10, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  time(`prefill q/k/v fused qkvRopeKv (one GEMM N=${N} + bias + RoPE + KV write), ${T} rows 7B`,
    () => A.qkvRopeKv(q, x, DT.bf16, T, K, w, DT.bf16, b, DT.f32, Hq, Hkv, d, pos, inv, kc, vc, DT.bf16, 0, 0),
    { reps: 10, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  time(`prefill q/k/v GEMM alone (linearTo16 N=${N}), ${T} rows 7B (floor for the fused op)`,
    () => A.linearTo16(q0, x, DT.bf16, T, K, w, DT.bf16, N), { reps: 10, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
});
guarded('linearResidualNorm16 (o / down projection + residual + next RMSNorm)', () => {
  const to32 = (p, n, dt) => { const f = empty(n); A.cast(f, DT.f32, p, DT[dt], n); return host(f, n); };
  // 16-byte vector epilogue (v2) where N % 8 == 0 and the bias is f32; the 100-column shape takes the scalar v1.
  for (const c of [{ M: 29, K: 300, N: 520, dt: 'bf16', xdt: 'bf16', bias: false }, { M: 7, K: 64, N: 3584, dt: 'f16', xdt: 'f32', bias: true }, { M: 3, K: 40, N: 100, dt: 'bf16', xdt: 'f32', bias: true }]) {
    const { M, K, N, dt } = c, round = dt === 'bf16' ? bf16Round : f16Round;
    const x = randn(M * K, 2), w = randn(N * K, 0.2), res = randn(M * N, 3), nw = randn(N, 1.5), b = c.bias ? randn(N) : null;
    const xr = round(x), wr = round(w), nwr = Float32Array.from(nw);
    const C = new Float32Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) { let s = 0; for (let k = 0; k < K; k++) s += xr[m * K + k] * wr[n * K + k]; C[m * N + n] = s; }
    const Cr = round(C), hRef = new Float32Array(M * N), nRef = new Float32Array(M * N);
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let n = 0; n < N; n++) { const v = res[m * N + n] + Cr[m * N + n] + (b ? b[n] : 0); hRef[m * N + n] = v; s += v * v; }
      const r = 1 / Math.sqrt(s / N + 1e-6);
      for (let n = 0; n < N; n++) nRef[m * N + n] = nwr[n] * hRef[m * N + n] * r;
    }
    const out = empty(M * N), nout = empty(M * N, dt);
    A.linearResidualNorm16(out, nout, dev(x, c.xdt), DT[c.xdt], M, K, dev(w, dt), DT[dt], N, b ? dev(b) : 0, DT.f32, dev(res), dev(nw), DT.f32, 1e-6);
    const name = `linearResidualNorm16 ${dt} weights, ${c.xdt} x, ${M}x${K} · ${N}x${K}ᵀ${b ? ' + bias' : ''}`;
    check(`${name}: residual out (f32)`, host(out, M * N), hRef, 1e-2);
    check(`${name}: normed out (${dt})`, to32(nout, M * N, dt), round(nRef), 2e-2);
  }
});
guarded('linearResidualNorm16 timings', () => {
  const M = 12559, K = 3584, N = 3584;  // the o projection of Qwen2-7B at 64 frames
  const buf = (n, dt) => { const p = A.alloc(n * (dt === 'f32' ? 4 : 2)); live.push(p); return p; };
  const x = buf(M * K, 'f32'), w = buf(N * K, 'bf16'), res = buf(M * N, 'f32'), nw = buf(N, 'f32');
  const out = buf(M * N, 'f32'), nout = buf(M * N, 'bf16');
  A.randomFill(x, DT.f32, M * K, 41, 1); A.randomFill(w, DT.bf16, N * K, 42, 0.05); A.randomFill(res, DT.f32, M * N, 43, 1); A.randomFill(nw, DT.f32, N, 44, 1);
  const flop = 2 * M * K * N;
  time(`o projection separate (linearResidual + rmsNormTo16), ${M} rows 7B, f32 attention output`, () => {
    A.linearResidual(out, x, DT.f32, M, K, w, DT.bf16, N, 0, 0, res);
    A.rmsNormTo16(nout, DT.bf16, out, M, N, nw, DT.f32, 1e-6);
  }, { reps: 10, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  time(`o projection fused linearResidualNorm16 (norm in the epilogue), ${M} rows 7B, f32 attention output`,
    () => A.linearResidualNorm16(out, nout, x, DT.f32, M, K, w, DT.bf16, N, 0, 0, res, nw, DT.f32, 1e-6),
    { reps: 10, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
  time(`o projection GEMM alone (linearTo16, f32 x cast inside), ${M} rows 7B (floor)`, () => A.linearTo16(nout, x, DT.f32, M, K, w, DT.bf16, N),
    { reps: 10, extra: (ms) => ({ TFLOPs: flop / ms / 1e9 }) });
});

// ---- helper D2: per-layer retrieval top-k on the device (topkRows, kernels/src/gpu_topk.cu) ----------------------
{
  // The engine's own topKAscending (engine/core/sparse/select.ts, no imports) through esbuild; absent: no JS timings.
  let topKAscending = null;
  try {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('../../engine/core/sparse/select.ts', import.meta.url), 'utf8');
    const js = require('esbuild').transformSync(src, { loader: 'ts', format: 'esm' }).code;
    ({ topKAscending } = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`));
  } catch (e) { console.log(`INFO topk: engine topKAscending not loaded (${e.message}); checks use the sort definition only`); }
  // The rule by definition: NaN ranks as -Infinity, ties (incl. -0 == +0) to the lower position, output ascending.
  const topkDef = (s, k) => {
    const key = (i) => (Number.isNaN(s[i]) ? -Infinity : s[i]);
    const idx = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
    return Int32Array.from(idx.slice(0, k)).sort();
  };
  const mismatches = (a, b) => { if (a.length !== b.length) return Math.max(a.length, b.length); let m = 0; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) m++; return m; };
  const report = (name, bad, tol = 0) => {
    const ok = bad <= tol;
    results.checks.push({ name, err: bad, tol, ok });
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${bad} (tol ${tol})`);
  };
  // rows: Float32Array[] of length L each; cand: positions into them or null. Runs topkRows, checks every row.
  function runTopk(name, rows, L, cand, k, { cpu = true } = {}) {
    const n = cand ? cand.length : L, R = rows.length;
    const base = A.alloc(R * L * 4); live.push(base);
    rows.forEach((r, i) => A.upload(base + i * L * 4, r));
    const idx = A.alloc(Math.max(4, R * k * 4)), mass = A.alloc(R * 16); live.push(idx, mass);
    const refs = rows.map((row) => {
      const s = cand ? Float32Array.from(cand, (c) => row[c]) : row;
      const def = topkDef(s, k);
      let total = 0, kept = 0;
      for (let i = 0; i < n; i++) total += s[i];
      for (const i of def) kept += s[i];
      return { def, engine: topKAscending ? topKAscending(s, k) : null, cpu: cpu ? A.cpuTopk(s, k) : null, total, kept };
    });
    {
      A.fill(idx, DT.f32, Math.max(1, R * k), NaN);
      A.topkRows(idx, mass, Float64Array.from(rows, (_, i) => base + i * L * 4), n, cand, k);
      const got = new Int32Array(R * k), m = new Float64Array(2 * R);
      if (k) A.download(idx, got);
      A.download(mass, m);
      let badDef = 0, badEngine = 0, badCpu = 0, massErr = 0;
      refs.forEach((ref, r) => {
        const g = got.subarray(r * k, (r + 1) * k);
        badDef += mismatches(g, ref.def);
        if (ref.engine) badEngine += mismatches(g, ref.engine);
        if (ref.cpu) badCpu += mismatches(g, ref.cpu);
        const rel = (x, y) => (x === y ? 0 : Math.abs(x - y) / Math.max(1e-30, Math.abs(y)));
        if (Number.isFinite(ref.total)) massErr = Math.max(massErr, rel(m[2 * r], ref.total), rel(m[2 * r + 1], ref.kept));
      });
      report(`topkRows ${name} vs definition (mismatched positions)`, badDef);
      if (topKAscending) report(`topkRows ${name} vs engine topKAscending`, badEngine);
      if (cpu) report(`topkRows ${name} vs cpuTopk`, badCpu);
      report(`topkRows ${name} mass (sum, selected sum) rel err`, massErr, 1e-9);
    }
  }
  const rowsOf = (R, L, f) => Array.from({ length: R }, () => Float32Array.from({ length: L }, f));
  const cont = () => rand() * 2 - 1;
  const few = () => [0, 1, 2, 0.5][Math.floor(rand() * 4)];
  const special = () => { const u = rand(); return u < 0.05 ? NaN : u < 0.1 ? -0 : u < 0.15 ? 0 : u < 0.18 ? -Infinity : u < 0.2 ? Infinity : Math.floor(rand() * 5) - 2; };
  guarded('topkRows', () => {
    for (const k of [0, 1, 500, 999, 1000]) runTopk(`5 x 1000 random k=${k}`, rowsOf(5, 1000, cont), 1000, null, k);
    for (const k of [0, 1, 1234, 4098, 4099]) runTopk(`3 x 4099 heavy ties (4 values) k=${k}`, rowsOf(3, 4099, few), 4099, null, k);
    for (const k of [1, 777, 2000]) runTopk(`4 x 3001 NaN/±0/±Inf/ints k=${k}`, rowsOf(4, 3001, special), 3001, null, k, { cpu: false });
    runTopk('2 x 5000 all equal k=2500', rowsOf(2, 5000, () => 0.25), 5000, null, 2500);
    for (const k of [0, 1]) runTopk(`1 x 1 k=${k}`, rowsOf(1, 1, cont), 1, null, k);
    const L = 2000, cand = Int32Array.from(Array.from({ length: L }, (_, i) => i).filter(() => rand() < 0.4));
    runTopk(`6 rows, ${cand.length} scattered candidates of 2000, k=${Math.round(cand.length / 3)}`, rowsOf(6, L, few), L, cand, Math.round(cand.length / 3));
    runTopk('64 x 3001 k=300', rowsOf(64, 3001, cont), 3001, null, 300);
    const bf = (x) => bf16Round(Float32Array.of(x))[0];
    runTopk('28 x 60001 bf16-rounded (ties) k=6000', rowsOf(28, 60001, () => bf(rand() * 1e-3)), 60001, null, 6000);
  });
  guarded('topkRows timings', () => {
    for (const n of [12579, 50211]) {
      const R = 28, k = Math.round(0.1 * n), L = n + 600;  // engine-like: candidates = the visual slots of kvLen slots
      const cand = Int32Array.from({ length: n }, (_, i) => i + 300);
      const base = A.alloc(R * L * 4); live.push(base);
      A.randomFill(base, DT.f32, R * L, 7, 1e-3);
      const ptrs = Float64Array.from({ length: R }, (_, r) => base + r * L * 4);
      const idx = A.alloc(R * k * 4), mass = A.alloc(R * 16); live.push(idx, mass);
      const gotIdx = new Int32Array(R * k), gotMass = new Float64Array(2 * R);
      time(`per-layer top-k ${R} x ${n} k=${k} GPU topkRows (+ download indices)`, () => {
        A.topkRows(idx, mass, ptrs, n, cand, k); A.download(idx, gotIdx); A.download(mass, gotMass);
      }, { reps: 20 });
      time(`per-layer top-k ${R} x ${n} k=${k} GPU topkRows kernel only`, () => A.topkRows(idx, mass, ptrs, n, cand, k), { reps: 20 });
      if (topKAscending) {
        const all = new Float32Array(L);
        time(`per-layer top-k ${R} x ${n} k=${k} download + JS topKAscending (previous path)`, () => {
          for (let r = 0; r < R; r++) {
            A.download(ptrs[r], all);
            const s = new Float32Array(n);
            for (let i = 0; i < n; i++) s[i] = all[cand[i]];
            topKAscending(s, k);
          }
        }, { reps: 10 });
      }
    }
  });
}
// ---- end helper D2

writeFileSync(join(OUT, 'kernels_check.json'), JSON.stringify(results, null, 1));
console.log('\n==== summary ====');
for (const c of results.checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.err !== undefined ? `  ${c.err.toExponential(2)}` : ''}`);
for (const t of results.timings) console.log(`${t.ms.toFixed(3).padStart(10)} ms  ${t.name}${t.GBps ? `  ${t.GBps.toFixed(0)} GB/s` : ''}${t.TFLOPs ? `  ${t.TFLOPs.toFixed(1)} TFLOP/s` : ''}`);
const failed = results.checks.filter((c) => !c.ok).length;
console.log(failed ? `${failed} check(s) FAILED` : 'all checks passed');
process.exitCode = failed ? 1 : 0;
