#!/usr/bin/env node
// 4-bit weight kernels (kernels/src/gpu_w4.cu) vs the CPU reference on fresh random AutoAWQ tensors, then timings at
// the Qwen2-7B shapes against the bf16 GEMV, cuBLAS and the measured copy rate. Run on the GPU machine through
// scripts/gpu/kernels_check.sh (step `w4`, also part of `check`). Writes $OUT/w4_check.json.
import { writeFileSync } from 'node:fs';
import { createHarness, DT, loadAddon } from './check_harness.mjs';

const A = loadAddon();
const OUT = process.env.OUT ?? '.';
const results = { info: A.info(), checks: [], timings: [] };
const { seed0, rand, live, randn, dev, empty, host, check, guarded, batch } = createHarness(A, results, { stopOnCudaError: true });
console.log(`INFO seed ${seed0} ${JSON.stringify(results.info)}`);

const f16Value = (h) => {
  const e = (h >> 10) & 31, m = h & 1023, v = e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
  return h & 0x8000 ? -v : v;
};
const randInt32 = (n) => Int32Array.from({ length: n }, () => (rand() * 4294967296) | 0);
/** A random AutoAWQ layer: codes and zeros uniform in 0..15, scales fp16 in [2^-8, 2^-6). */
function awqLayer(N, K, G) {
  const scales = Uint16Array.from({ length: (K / G) * N }, () => ((7 + Math.floor(rand() * 2)) << 10) | Math.floor(rand() * 1024));
  return { N, K, G, qweight: randInt32((K * N) / 8), qzeros: randInt32(((K / G) * N) / 8), scales };
}
const bytesDev = (arr) => { const p = A.alloc(arr.byteLength); live.push(p); A.upload(p, arr); return p; };
/** Uploads a layer in the AutoAWQ layout and repacks it on the device. */
function repacked(L) {
  const w = A.alloc((L.N * L.K) / 2), sz = A.alloc(L.N * (L.K / L.G) * 4);
  live.push(w, sz);
  A.w4Repack(w, sz, bytesDev(L.qweight), bytesDev(L.qzeros), bytesDev(L.scales), L.N, L.K, L.G);
  return { w, sz };
}
/** W [N, K] from the AutoAWQ tensors, in JS (the dequantization check's reference). */
function dequantJs(L) {
  const { N, K, G } = L, out = new Float32Array(N * K);
  const code = (m, row, n) => (m[row * (N / 8) + (n >> 3)] >>> (4 * ((n & 1) * 4 + ((n & 7) >> 1)))) & 15;
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
    const g = Math.floor(k / G);
    out[n * K + k] = Math.fround((code(L.qweight, k, n) - code(L.qzeros, g, n)) * f16Value(L.scales[g * N + n]));
  }
  return out;
}
/** in(x) per gemv mode (0 plain, 1 RMSNorm * aux, 2 silu(x) * aux), as f32. */
function transformed(M, K, x, mode, aux, eps) {
  const o = new Float32Array(M * K);
  for (let m = 0; m < M; m++) {
    let ss = 0;
    for (let k = 0; k < K; k++) ss += x[m * K + k] ** 2;
    const r = 1 / Math.sqrt(ss / K + eps);
    for (let k = 0; k < K; k++) {
      const v = x[m * K + k];
      o[m * K + k] = mode === 1 ? v * r * aux[k] : mode === 2 ? v / (1 + Math.exp(-v)) * aux[m * K + k] : v;
    }
  }
  return o;
}

// ---- correctness -------------------------------------------------------------------------------------------------
for (const [N, K, G] of [[48, 256, 128], [32, 192, 64], [4608, 3584, 128]]) guarded(`w4Dequant ${N}x${K} g${G}`, () => {
  const L = awqLayer(N, K, G), { w, sz } = repacked(L), ref = dequantJs(L);
  for (const dt of ['f32', 'bf16']) {
    const out = empty(N * K, dt);
    A.w4Dequant(out, DT[dt], w, sz, N, K, G);
    let got = out;
    if (dt !== 'f32') { got = empty(N * K); A.cast(got, DT.f32, out, DT[dt], N * K); }
    // f32: the same (q - z) * s product; bf16: that product rounded once (relative 2^-9).
    check(`w4Dequant ${N}x${K} g${G} -> ${dt}`, host(got, N * K), ref, dt === 'f32' ? 1e-7 : 4e-3);
  }
});

// Tolerance: x is rounded to the activation dtype (bf16 2^-9, f16 2^-12 relative per element) before the tensor
// cores; the dot products of random x average those errors, so max|d| / max|ref| stays well below the per-element
// bound. A wrong nibble, zero or scale moves outputs by O(1) of max|ref|.
const TOL = { bf16: 8e-3, f16: 1.5e-3 };
for (const c of [
  { name: 'M=1 bf16 plain, bias', M: 1, K: 3584, G: 128, act: 'bf16', mode: 0, Ns: [1024], bias: true, res: false },
  { name: 'M=1 bf16 rmsNorm, q/k/v + bias', M: 1, K: 1024, G: 128, act: 'bf16', mode: 1, Ns: [896, 128, 128], bias: true, res: false },
  { name: 'M=1 bf16 silu*up, residual', M: 1, K: 4864, G: 128, act: 'bf16', mode: 2, Ns: [912], bias: false, res: true },
  { name: 'M=1 f16 rmsNorm, 2 outputs, g64', M: 1, K: 2048, G: 64, act: 'f16', mode: 1, Ns: [304, 288], bias: false, res: false },
  { name: 'M=2 bf16 plain, bias + residual', M: 2, K: 768, G: 128, act: 'bf16', mode: 0, Ns: [256], bias: true, res: true },
  { name: 'M=3 f16 rmsNorm, 3 outputs', M: 3, K: 512, G: 128, act: 'f16', mode: 1, Ns: [64, 32, 16], bias: true, res: false },
  { name: 'M=4 bf16 silu*up, 2 outputs, residual', M: 4, K: 8192, G: 128, act: 'bf16', mode: 2, Ns: [96, 64], bias: false, res: true },
  { name: 'M=8 f16 plain, 4 outputs', M: 8, K: 640, G: 128, act: 'f16', mode: 0, Ns: [48, 16, 80, 32], bias: true, res: true },
  { name: 'M=5 bf16 plain, 1 output, 3 row tiles', M: 5, K: 64, G: 64, act: 'bf16', mode: 0, Ns: [48], bias: false, res: false },
]) guarded(`gemvW4: ${c.name}`, () => {
  const x = randn(c.M * c.K, 2), aux = c.mode === 1 ? randn(c.K, 1.5) : c.mode === 2 ? randn(c.M * c.K, 2) : null;
  const xin = transformed(c.M, c.K, x, c.mode, aux, 1e-6);
  const segs = c.Ns.map((N) => {
    const L = awqLayer(N, c.K, c.G);
    const ref = A.cpuW4Linear(xin, c.M, c.K, L.qweight, L.qzeros, L.scales, N, c.G);
    const b = c.bias ? randn(N) : null, res = c.res ? randn(c.M * N) : null;
    for (let m = 0; m < c.M; m++) for (let n = 0; n < N; n++) ref[m * N + n] += (b ? b[n] : 0) + (res ? res[m * N + n] : 0);
    return { N, ref, ...repacked(L), b: b ? dev(b) : 0, res: res ? dev(res) : 0 };
  });
  const xd = dev(x), ad = aux ? dev(aux) : 0;
  for (let variant = 0; variant < 5; variant++) {
    const outs = segs.map((s) => empty(c.M * s.N));
    const spec = new Float64Array(segs.flatMap((s, i) => [s.w, s.sz, s.b, DT.f32, s.res, outs[i], s.N]));
    A.gemvW4(c.M, c.K, c.G, DT[c.act], xd, c.mode, ad, 1e-6, spec, variant);
    segs.forEach((s, i) => check(`gemvW4 v${variant}: ${c.name} [out ${i}]`, host(outs[i], c.M * s.N), s.ref, TOL[c.act]));
  }
});
for (const c of [
  { name: 'M=1 bf16 rmsNorm, gate/up biased', M: 1, K: 3584, G: 128, N: 1024, act: 'bf16', mode: 1, bias: true },
  { name: 'M=3 f16 plain', M: 3, K: 512, G: 64, N: 80, act: 'f16', mode: 0, bias: false },
]) guarded(`gemvW4 GLU: ${c.name}`, () => {
  const x = randn(c.M * c.K, 2), aux = c.mode === 1 ? randn(c.K, 1.5) : null;
  const xin = transformed(c.M, c.K, x, c.mode, aux, 1e-6);
  const segs = [0, 1].map(() => {
    const L = awqLayer(c.N, c.K, c.G), b = c.bias ? randn(c.N) : null;
    const ref = A.cpuW4Linear(xin, c.M, c.K, L.qweight, L.qzeros, L.scales, c.N, c.G);
    if (b) for (let i = 0; i < ref.length; i++) ref[i] += b[i % c.N];
    return { ref, ...repacked(L), b: b ? dev(b) : 0 };
  });
  const ref = segs[0].ref.map((g, i) => g / (1 + Math.exp(-g)) * segs[1].ref[i]);
  const xd = dev(x), ad = aux ? dev(aux) : 0;
  for (let variant = 0; variant < 5; variant++) {
    const out = empty(c.M * c.N);
    const spec = new Float64Array([segs[0].w, segs[0].sz, segs[0].b, DT.f32, 0, out, c.N, segs[1].w, segs[1].sz, segs[1].b, DT.f32, 0, 0, c.N]);
    A.gemvW4(c.M, c.K, c.G, DT[c.act], xd, c.mode | 4, ad, 1e-6, spec, variant);
    check(`gemvW4 GLU v${variant}: ${c.name}`, host(out, c.M * c.N), ref, TOL[c.act]);
  }
});
guarded('gemvW4 refuses bad shapes', () => {
  const bad = [
    () => A.gemvW4(9, 64, 64, DT.bf16, 0, 0, 0, 0, new Float64Array([16, 16, 0, 0, 0, 16, 16])),
    () => A.gemvW4(1, 96, 64, DT.bf16, 16, 0, 0, 0, new Float64Array([16, 16, 0, 0, 0, 16, 16])),
    () => A.w4Repack(16, 16, 16, 16, 16, 20, 128, 128),
  ];
  const msgs = bad.map((f) => { try { f(); return null; } catch (e) { return String(e.message); } });
  const ok = msgs.every((m) => m && /gemvW4|w4Repack/.test(m));
  results.checks.push({ name: 'gemvW4 / w4Repack refuse bad shapes', ok, err: ok ? 0 : 1, tol: 0 });
  console.log(`${ok ? 'PASS' : 'FAIL'} gemvW4 / w4Repack refuse bad shapes: ${msgs.join(' | ')}`);
});

// ---- timings -----------------------------------------------------------------------------------------------------
const H = 3584, I = 18944, KV = 512, V = 152064, G = 128;
/** AWQ bytes of a layer: packed codes + fp16 scales + 4-bit zeros. */
const awqBytes = (N, K) => (N * K) / 2 + (N * K / G) * 2.5;
guarded('w4 timings (Qwen2-7B shapes)', () => {
  const big = 1 << 30, src = A.alloc(big), dst = A.alloc(big);
  live.push(src, dst);
  A.fill(src, DT.f32, big / 4, 1);
  const copyMs = batch('copy rate: device-to-device 1 GiB (bytes read + written)', () => A.copy(dst, src, big), 2 * big, 5);
  const copyGBps = (2 * big) / copyMs / 1e6;
  results.copyGBps = copyGBps;
  const x = A.alloc(8 * I * 4), x2 = A.alloc(8 * I * 4), nw = A.alloc(I * 4), y = A.alloc(8 * V * 4), y2 = A.alloc(8 * I * 4), y3 = A.alloc(8 * I * 4);
  live.push(x, x2, nw, y, y2, y3);
  A.randomFill(x, DT.f32, 8 * I, 21, 1); A.randomFill(x2, DT.f32, 8 * I, 22, 1); A.randomFill(nw, DT.f32, I, 23, 1);
  const bias = A.alloc(I * 4); live.push(bias); A.fill(bias, DT.f32, I, 0.01);
  // 4-bit weights: random codes repacked from random AutoAWQ buffers (the values do not change the time).
  const W = {}, B16 = {};
  for (const [name, N, K] of [['qkv', H + 2 * KV, H], ['q', H, H], ['k', KV, H], ['v', KV, H], ['o', H, H], ['gate', I, H], ['up', I, H], ['down', H, I]]) {
    const qw = A.alloc((N * K) / 2), qz = A.alloc((N * K) / G / 2), sc = A.alloc((N * K) / G * 2);
    live.push(qw, qz, sc);
    A.randomFill(qw, DT.f32, (N * K) / 8, 50 + N, 1e30); A.randomFill(qz, DT.f32, (N * K) / G / 8, 60 + N, 1e30);
    A.fill(sc, DT.f16, (N * K) / G, 0.01);
    const w = A.alloc((N * K) / 2), sz = A.alloc((N * K) / G * 4);
    live.push(w, sz);
    const ms = batch(`w4Repack ${N}x${K} (load time)`, () => A.w4Repack(w, sz, qw, qz, sc, N, K, G), (N * K) / 2, 2);
    W[name] = { w, sz, N, K, repackMs: ms };
    B16[name] = { p: A.alloc(N * K * 2), N, K }; live.push(B16[name].p); A.randomFill(B16[name].p, DT.bf16, N * K, 30 + N, 0.02);
  }
  const seg = (w, out, b = 0, res = 0) => [w.w, w.sz, b, DT.f32, res, out, w.N];
  const seg16 = (w, out, b = 0, res = 0) => [w.p, b, DT.f32, res, out, w.N];
  const summary = [];
  for (const name of ['q', 'qkv', 'gate', 'down']) {
    const w = W[name], b16 = B16[name], bytes = awqBytes(w.N, w.K);
    const t16 = batch(`M=1 ${w.N}x${w.K} bf16 gemv`, () => A.gemv(1, w.K, DT.bf16, x, 0, 0, DT.f32, 0, new Float64Array(seg16(b16, y))), w.N * w.K * 2);
    const spec = new Float64Array(seg(w, y));
    const tv = [0, 1, 2, 3, 4].map((v) => batch(`M=1 ${w.N}x${w.K} gemvW4 v${v}`, () => A.gemvW4(1, w.K, G, DT.bf16, x, 0, 0, 0, spec, v), bytes));
    A.configure({ gemvPdl: false });
    batch(`M=1 ${w.N}x${w.K} gemvW4 v0, PDL off`, () => A.gemvW4(1, w.K, G, DT.bf16, x, 0, 0, 0, spec), bytes);
    A.configure({ gemvPdl: true });
    batch(`M=1 ${w.N}x${w.K} gemvW4 f16 activations`, () => A.gemvW4(1, w.K, G, DT.f16, x, 0, 0, 0, spec), bytes);
    for (const M of [4, 8]) batch(`M=${M} ${w.N}x${w.K} gemvW4`, () => A.gemvW4(M, w.K, G, DT.bf16, x, 0, 0, 0, spec), bytes);
    const best = Math.min(...tv);
    summary.push(`${name} ${w.N}x${w.K}: bf16 gemv ${(t16 * 1e3).toFixed(1)} us, gemvW4 ${tv.map((t) => (t * 1e3).toFixed(1)).join(' / ')} us (v0..v4) = ` +
      `${(bytes / tv[0] / 1e6 / copyGBps * 100).toFixed(0)}% of copy rate (v0), ${(t16 / tv[0]).toFixed(2)}x faster than bf16; best ${(best * 1e3).toFixed(1)}`);
  }
  // A decode step's GEMVs as the fused CUDA path runs them: rmsNorm + q/k/v + bias, o + residual, rmsNorm + gate/up
  // (GLU), silu*up + down + residual, 28 layers (lm_head stays 16-bit and is left out of both).
  const qkv = new Float64Array([...seg(W.q, y, bias), ...seg(W.k, y2, bias), ...seg(W.v, y3, bias)]);
  const o = new Float64Array(seg(W.o, y2, 0, x)), glu = new Float64Array([...seg(W.gate, y2), ...seg(W.up, 0)]);
  const dn = new Float64Array(seg(W.down, y3, 0, x));
  const layerBytes = awqBytes(H + 2 * KV, H) + awqBytes(H, H) + 2 * awqBytes(I, H) + awqBytes(H, I);
  const t4 = batch('decode-step GEMVs 4-bit (28 layers)', () => {
    for (let l = 0; l < 28; l++) {
      A.gemvW4(1, H, G, DT.bf16, x, 1, nw, 1e-6, qkv); A.gemvW4(1, H, G, DT.bf16, x, 0, 0, 0, o);
      A.gemvW4(1, H, G, DT.bf16, x, 1 | 4, nw, 1e-6, glu); A.gemvW4(1, I, G, DT.bf16, x, 2, x2, 0, dn);
    }
  }, 28 * layerBytes, 4);
  const q16 = new Float64Array([...seg16(B16.q, y, bias), ...seg16(B16.k, y2, bias), ...seg16(B16.v, y3, bias)]);
  const o16 = new Float64Array(seg16(B16.o, y2, 0, x)), glu16 = new Float64Array([...seg16(B16.gate, y2), ...seg16(B16.up, 0)]);
  const dn16 = new Float64Array(seg16(B16.down, y3, 0, x));
  const t16 = batch('decode-step GEMVs bf16 (28 layers)', () => {
    for (let l = 0; l < 28; l++) {
      A.gemv(1, H, DT.bf16, x, 1, nw, DT.f32, 1e-6, q16); A.gemv(1, H, DT.bf16, x, 0, 0, DT.f32, 0, o16);
      A.gemv(1, H, DT.bf16, x, 1 | 4, nw, DT.f32, 1e-6, glu16); A.gemv(1, I, DT.bf16, x, 2, x2, DT.f32, 0, dn16);
    }
  }, 28 * (H + 2 * KV + H + 3 * I) * H * 2, 4);
  A.configure({ gemvPdl: false });
  const t4n = batch('decode-step GEMVs 4-bit (28 layers), PDL off', () => {
    for (let l = 0; l < 28; l++) {
      A.gemvW4(1, H, G, DT.bf16, x, 1, nw, 1e-6, qkv); A.gemvW4(1, H, G, DT.bf16, x, 0, 0, 0, o);
      A.gemvW4(1, H, G, DT.bf16, x, 1 | 4, nw, 1e-6, glu); A.gemvW4(1, I, G, DT.bf16, x, 2, x2, 0, dn);
    }
  }, 28 * layerBytes, 4);
  A.configure({ gemvPdl: true });
  summary.push(`decode-step GEMVs 4-bit without PDL: ${t4n.toFixed(3)} ms`);
  summary.push(`decode-step GEMVs (28 layers): 4-bit ${t4.toFixed(3)} ms (${((28 * layerBytes) / t4 / 1e6 / copyGBps * 100).toFixed(0)}% of copy rate), bf16 ${t16.toFixed(3)} ms: ${(t16 / t4).toFixed(2)}x`);

  // Prefill: the 4-bit weight dequantized to bf16, then the 16-bit GEMM (what the CUDA backend runs for > 8 rows),
  // vs the same GEMM on a bf16 weight.
  for (const M of [2048, 4096]) {
    for (const name of ['gate', 'down']) {
      const w = W[name], b16 = B16[name], flop = 2 * M * w.N * w.K;
      const xb = A.alloc(M * w.K * 2), ob = A.alloc(M * w.N * 2), tmp = A.alloc(w.N * w.K * 2);
      live.push(xb, ob, tmp);
      A.randomFill(xb, DT.bf16, M * w.K, 70, 1);
      const tb = batch(`prefill M=${M} ${w.N}x${w.K} bf16 cuBLAS (linearTo16)`, () => A.linearTo16(ob, xb, DT.bf16, M, w.K, b16.p, DT.bf16, w.N), flop / 1e3, 5);
      const tq = batch(`prefill M=${M} ${w.N}x${w.K} 4-bit: w4Dequant + linearTo16`, () => {
        A.w4Dequant(tmp, DT.bf16, w.w, w.sz, w.N, w.K, G);
        A.linearTo16(ob, xb, DT.bf16, M, w.K, tmp, DT.bf16, w.N);
      }, flop / 1e3, 5);
      summary.push(`prefill M=${M} ${name}: bf16 ${(flop / tb / 1e9).toFixed(0)} TFLOP/s, 4-bit ${(flop / tq / 1e9).toFixed(0)} TFLOP/s = ${(tb / tq * 100).toFixed(0)}% of bf16`);
    }
  }
  console.log(`W4 SUMMARY (copy rate ${copyGBps.toFixed(0)} GB/s)\n  ${summary.join('\n  ')}`);
  results.summary = summary;
});

const failed = results.checks.filter((c) => !c.ok).length;
writeFileSync(`${OUT}/w4_check.json`, JSON.stringify(results, null, 1));
console.log(`${results.checks.length - failed}/${results.checks.length} checks passed`);
process.exit(failed ? 1 : 0);
