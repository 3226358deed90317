// Vision tower on the CUDA backend: (1) blockAttention (frames x heads batched) vs the CPU reference on fresh random
// inputs, (2) vision features (SigLIP -> projector -> pooling) of the CUDA backend, f32 and bf16 modes, against
// reference features (HF fixture `video_features`, or the CPU backend's, written by scripts/gpu/vision_features.ts),
// and many-frames-per-op vs frame-by-frame on the GPU, (3) vision ms at LLaVA-Video-7B geometry (SigLIP-so400m,
// synthetic bf16 weights on the device): frame by frame (the old path) vs batched, with and without saliency.
// Usage: npx tsx scripts/gpu/vision_check.ts [--frames 64,256] [--out FILE.json] [MODEL_DIR:INPUTS:REF ...]
import { writeFileSync } from 'node:fs';
import { SafetensorsFile } from '../../engine/core/checkpoint/safetensors.ts';
import { readLogitsInputs } from '../../engine/cli/logits.ts';
import { loadModel } from '../../engine/core/models/load-model.ts';
import { loadAddon } from '../../engine/core/backend/cuda/addon.ts';
import type { CudaBackend } from '../../engine/core/backend/cuda/cuda-backend.ts';
import { PrimitiveLayerOps } from '../../engine/core/backend/layer-ops.ts';
import { PatchSaliencyCollector } from '../../engine/core/sparse/saliency.ts';
import { VISION_BATCH_ROWS } from '../../engine/core/models/llava-onevision.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args.splice(i, 2)[1] : dflt; };
const FRAMES = opt('frames', '64,256').split(',').map(Number);
const OUTFILE = opt('out', 'vision_check.json');
const A = loadAddon().addon!;
if (!loadAddon().gpu) throw new Error(loadAddon().message);
const results: { checks: Record<string, unknown>[]; timings: Record<string, unknown>[] } = { checks: [], timings: [] };
let failed = 0;

function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    num = Number.isNaN(d) ? Infinity : Math.max(num, d);
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / (den || 1);
}
function check(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: number): void {
  const err = got.length === ref.length ? relErr(got, ref) : Infinity;
  const ok = err < tol;
  if (!ok) failed++;
  results.checks.push({ name, err, tol, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: max|d|/max|ref| = ${err.toExponential(2)} (tol ${tol})`);
}
function guarded(name: string, fn: () => void | Promise<void>): Promise<void> {
  return Promise.resolve().then(fn).catch((e) => { failed++; results.checks.push({ name, ok: false, error: String(e) }); console.log(`FAIL ${name}: ${(e as Error).stack ?? e}`); });
}

// ---- 1. blockAttention vs the CPU reference --------------------------------------------------------------------
let seed = (Date.now() >>> 0) || 1;
console.log('seed', seed);
const rand = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const bf16 = (a: Float32Array) => {
  const u = new Uint32Array(a.buffer.slice(0));
  for (let i = 0; i < u.length; i++) u[i] = ((u[i] + 0x7fff + ((u[i] >> 16) & 1)) >>> 16) << 16;
  return new Float32Array(u.buffer);
};
const DT = { f32: 0, f16: 1, bf16: 2 } as const;
for (const c of [
  { F: 3, T: 200, H: 4, d: 72, dt: 'f32' as const },
  { F: 3, T: 200, H: 4, d: 72, dt: 'bf16' as const },
  { F: 2, T: 729, H: 16, d: 72, dt: 'bf16' as const },
  { F: 2, T: 1100, H: 2, d: 64, dt: 'f32' as const },  // rows longer than the register softmax
]) {
  await guarded(`blockAttention ${JSON.stringify(c)}`, () => {
    const n = c.F * c.T * c.H * c.d, row = c.T * c.H * c.d, scale = 1 / Math.sqrt(c.d);
    const q = randn(n), k = randn(n), v = randn(n);
    const [qr, kr, vr] = c.dt === 'f32' ? [q, k, v] : [bf16(q), bf16(k), bf16(v)];
    const ref = new Float32Array(n);
    for (let f = 0; f < c.F; f++) {
      const s = (x: Float32Array) => x.subarray(f * row, (f + 1) * row);
      ref.set(A.cpuSlotAttention(s(qr), s(kr), s(vr), c.T, c.T, c.H, c.H, c.d, scale, -1, null), f * row);
    }
    const ptrs = [q, k, v].map((x) => { const p = A.alloc(n * 4); A.upload(p, x); return p; });
    const out = A.alloc(n * 4);
    A.fill(out, DT.f32, n, NaN);
    A.blockAttention(out, ptrs[0], ptrs[1], ptrs[2], c.F, c.T, c.H, c.d, DT[c.dt], scale);
    const got = new Float32Array(n);
    A.download(out, got);
    for (const p of [...ptrs, out]) A.free(p);
    check(`blockAttention ${c.F}x${c.T} rows, ${c.H}x${c.d}, ${c.dt}`, got, ref, c.dt === 'f32' ? 1e-4 : 1e-2);
  });
}

await guarded('16-bit activation ops', () => {
  const M = 300, K = 1152, N = 700;
  const x = randn(M * K), w = randn(N * K), g = randn(K), b = randn(K), bias = randn(N);
  const up = (a: Float32Array, dt: 'f32' | 'bf16' = 'f32') => {
    const p = A.alloc(a.length * 4); A.upload(p, a);
    if (dt === 'f32') return p;
    const q = A.alloc(a.length * 2); A.cast(q, DT.bf16, p, DT.f32, a.length); A.free(p); return q;
  };
  const down = (p: number, n: number, dt: 'f32' | 'bf16') => {
    const o = new Float32Array(n);
    if (dt === 'f32') { A.download(p, o); return o; }
    const t = A.alloc(n * 4); A.cast(t, DT.f32, p, DT.bf16, n); A.download(t, o); A.free(t); return o;
  };
  const [px, pg, pb, pw, pbias] = [up(x), up(g), up(b), up(w, 'bf16'), up(bias)];
  const ln32 = A.alloc(M * K * 4), ln16 = A.alloc(M * K * 2), ge32 = A.alloc(M * K * 4), ge16 = A.alloc(M * K * 2);
  A.layerNorm(ln32, px, M, K, pg, DT.f32, pb, DT.f32, 1e-6);
  A.layerNormTo(ln16, DT.bf16, px, M, K, pg, DT.f32, pb, DT.f32, 1e-6);
  check('layerNormTo bf16 vs layerNorm f32 (rounded)', down(ln16, M * K, 'bf16'), bf16(down(ln32, M * K, 'f32')), 1e-2);
  A.gelu(ge32, px, M * K, true);
  A.geluTo(ge16, DT.bf16, px, M * K, true);
  check('geluTo bf16 vs gelu f32 (rounded)', down(ge16, M * K, 'bf16'), bf16(down(ge32, M * K, 'f32')), 1e-2);
  const y32 = A.alloc(M * N * 4), y16 = A.alloc(M * N * 4), lnr = up(bf16(down(ln32, M * K, 'f32')));
  A.linear(y32, lnr, M, K, pw, DT.bf16, N, pbias, DT.f32);
  A.linearLowp(y16, ln16, DT.bf16, M, K, pw, DT.bf16, N, pbias, DT.f32);
  check('linearLowp (bf16 x) vs linear (f32 x cast inside)', down(y16, M * N, 'f32'), down(y32, M * N, 'f32'), 1e-2);
  // linearAct: GELU(x wᵀ + b) with a bf16 GEMM output, vs linear (f32 out) then gelu (f32).
  const g32 = A.alloc(M * N * 4), a16 = A.alloc(M * N * 2), a32 = A.alloc(M * N * 4);
  for (const act of [1, 2]) {
    A.gelu(g32, y32, M * N, act === 1);
    const ref = down(g32, M * N, 'f32');
    A.linearAct!(a16, DT.bf16, ln16, DT.bf16, M, K, pw, DT.bf16, N, pbias, DT.f32, act);
    check(`linearAct bf16 x -> bf16, ${act === 1 ? 'tanh' : 'erf'} GELU vs linear + gelu`, down(a16, M * N, 'bf16'), ref, 2e-2);
    A.linearAct!(a32, DT.f32, lnr, DT.f32, M, K, pw, DT.bf16, N, pbias, DT.f32, act);
    check(`linearAct f32 x (cast inside) -> f32, ${act === 1 ? 'tanh' : 'erf'} GELU vs linear + gelu`, down(a32, M * N, 'f32'), ref, 2e-2);
  }
  // linearResidual: res + x wᵀ + b with a bf16 GEMM output, vs linear (f32 out) + add.
  const res = up(randn(M * N)), lr = A.alloc(M * N * 4), lref = A.alloc(M * N * 4);
  A.add(lref, res, DT.f32, M * N, y32, DT.f32, M * N);
  A.linearResidual!(lr, ln16, DT.bf16, M, K, pw, DT.bf16, N, pbias, DT.f32, res);
  check('linearResidual bf16 x vs linear + add', down(lr, M * N, 'f32'), down(lref, M * N, 'f32'), 2e-2);
  A.linearResidual!(lr, lnr, DT.f32, M, K, pw, DT.bf16, N, pbias, DT.f32, res);
  check('linearResidual f32 x (cast inside) vs linear + add', down(lr, M * N, 'f32'), down(lref, M * N, 'f32'), 2e-2);
  for (const p of [res, lr, lref]) A.free(p);
  // f32 weights (parity mode): exact path.
  const w32 = up(w), o32 = A.alloc(M * N * 4), r32 = A.alloc(M * N * 4), xg = up(x.subarray(0, M * K));
  A.linear(r32, xg, M, K, w32, DT.f32, N, pbias, DT.f32);
  A.gelu(r32, r32, M * N, true);
  A.linearAct!(o32, DT.f32, xg, DT.f32, M, K, w32, DT.f32, N, pbias, DT.f32, 1);
  check('linearAct f32 weights vs linear + gelu (f32)', down(o32, M * N, 'f32'), down(r32, M * N, 'f32'), 1e-5);
  for (const p of [px, pg, pb, pw, pbias, ln32, ln16, ge32, ge16, y32, y16, lnr, g32, a16, a32, w32, o32, r32, xg]) A.free(p);
});

// ---- 2. vision features vs references -----------------------------------------------------------------------------
function readTensor(path: string, name: string): Float32Array {
  const f = new SafetensorsFile(path);
  try {
    const b = f.readBytes(name);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } finally { f.close(); }
}
for (const spec of args) {
  const [dir, inputs, ...refs] = spec.split(':');
  await guarded(`vision features ${dir}`, async () => {
    const { pixels, frames } = readLogitsInputs(inputs);
    if (!pixels) throw new Error(`${inputs} has no pixel values`);
    for (const dtype of ['f32', 'bf16', 'bf16-flash'] as const) {
      const m = await loadModel(dir, { backend: 'cuda', kernels: {
        dtype: dtype === 'bf16-flash' ? 'bf16' : dtype, visionAttention: dtype === 'bf16-flash' ? 'flash' : 'cublas' } });
      const enc = m.model.encodeVideo(pixels, frames);
      const got = m.backend.toHost(enc.tokens);
      m.backend.dispose(enc.tokens);
      const one = m.model.encodeVideo(pixels, frames, { framesPerBatch: 1 });
      check(`vision cuda-${dtype} ${frames} frames batched vs frame by frame (${dir})`, got, m.backend.toHost(one.tokens), dtype === 'f32' ? 1e-5 : 2e-2);
      m.backend.dispose(one.tokens);
      for (const r of refs) {
        const ref = readTensor(r, 'video_features');
        check(`vision cuda-${dtype} vs ${r}`, got.subarray(0, ref.length), ref, dtype === 'f32' ? 1e-4 : 2e-2);
      }
      m.dispose();
    }
  });
}

// ---- 3. vision ms at 7B geometry --------------------------------------------------------------------------------
await guarded('vision timing 7b', async () => {
  const m = await loadModel('', { backend: 'cuda', synthetic: '7b', kernels: { dtype: 'bf16' } });
  const be = m.backend as CudaBackend, v = m.config.vision;
  const T = Math.floor(v.imageSize / v.patchSize) ** 2;
  const frameSize = v.channels * v.imageSize * v.imageSize;
  const time = (name: string, F: number, fn: () => void, extra: Record<string, unknown> = {}) => {
    fn(); be.sync();  // warm-up (scratch growth, cuBLAS heuristics)
    const ts: number[] = [];
    for (let i = 0; i < 3; i++) { const t0 = performance.now(); fn(); be.sync(); ts.push(performance.now() - t0); }
    ts.sort((a, b) => a - b);
    const row = { name, frames: F, ms: ts[1], min: ts[0], max: ts[2], msPerFrame: ts[1] / F, ...extra };
    results.timings.push(row);
    console.log(`TIME ${name}: median ${ts[1].toFixed(1)} ms (${(ts[1] / F).toFixed(2)} ms/frame) ${JSON.stringify(row)}`);
  };
  for (const F of FRAMES) {
    const px = Float32Array.from({ length: F * frameSize }, () => rand() * 2 - 1);
    const enc = (o: Parameters<typeof m.model.encodeVideo>[2] = {}) => () => be.dispose(m.model.encodeVideo(px, F, o).tokens);
    time(`vision ${F} frames, batched (${Math.floor(VISION_BATCH_ROWS / T)} frames per op)`, F, enc());
    time(`vision ${F} frames, batched + saliency (PatchSaliencyCollector)`, F, () => {
      const col = new PatchSaliencyCollector(be, m.model.saliencyLayer, v.heads, v.headDim, T);
      enc({ onFrameQK: (_f, _l, q, k) => col.add(q, k) })();
      col.result();
    });
    if (F <= 64) {
      be.configure({ visionFused: false });
      time(`vision ${F} frames, batched, unfused linear + gelu / linear + add`, F, enc());
      be.configure({ visionLowp: false });
      time(`vision ${F} frames, batched, unfused, f32 LayerNorm/GELU outputs`, F, enc());
      time(`vision ${F} frames, frame by frame (previous path: unfused, f32 activations, one frame per op)`, F, enc({ framesPerBatch: 1 }));
      be.configure({ visionFused: true, visionLowp: true });
      for (const fpb of [11, 44]) time(`vision ${F} frames, ${fpb} frames per op`, F, enc({ framesPerBatch: fpb }));
      // Host-side patch rearrangement instead of the device patchify.
      const ops = be.layerOps;
      Object.defineProperty(ops, 'patchRows', { value: (...a: Parameters<typeof ops.patchRows>) => PrimitiveLayerOps.prototype.patchRows.apply(ops, a), configurable: true });
      time(`vision ${F} frames, batched, patchify on the host (JS)`, F, enc());
      delete (ops as unknown as Record<string, unknown>).patchRows;
      // Where the time goes: every backend op synced and timed (adds sync overhead; read the shares).
      const acc = new Map<string, { ms: number; n: number }>();
      const names = ['fromHost', 'linear', 'layerNorm', 'attention', 'add', 'concatRows', 'bilinearResize',
        'gelu', 'toHost', 'dispose'] as const;
      const opNames = ['linearGelu', 'linearAdd', 'patchRows'] as const;
      const rec = be as unknown as Record<string, (...a: unknown[]) => unknown>;
      const opRec = ops as unknown as Record<string, (...a: unknown[]) => unknown>;
      for (const [obj, nme] of [...names.map((n) => [rec, n] as const), ...opNames.map((n) => [opRec, n] as const)]) {
        const f = obj[nme].bind(obj === rec ? be : ops);
        obj[nme] = (...a: unknown[]) => {
          be.sync();
          const t0 = performance.now();
          const r = f(...a);
          be.sync();
          const e = acc.get(nme) ?? { ms: 0, n: 0 };
          e.ms += performance.now() - t0; e.n++;
          acc.set(nme, e);
          return r;
        };
      }
      const t0 = performance.now();
      be.dispose(m.model.encodeVideo(px, F).tokens);
      be.sync();
      const total = performance.now() - t0;
      for (const nme of names) delete rec[nme];
      for (const nme of opNames) delete opRec[nme];
      const rows = [...acc.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const opsMs = rows.reduce((a, [, e]) => a + e.ms, 0);
      console.log(`BREAKDOWN vision ${F} frames, every op synced: total ${total.toFixed(1)} ms, in ops ${opsMs.toFixed(1)} ms, host between ops ${(total - opsMs).toFixed(1)} ms`);
      for (const [nme, e] of rows) console.log(`BREAKDOWN   ${nme.padEnd(14)} ${e.ms.toFixed(1).padStart(8)} ms  ${e.n} calls`);
      results.timings.push({ name: `breakdown ${F} frames`, total, ops: Object.fromEntries(rows) });
      const was = be.config.visionAttention, other = was === 'flash' ? 'cublas' : 'flash';
      be.configure({ visionAttention: other });
      time(`vision ${F} frames, batched, attention ${other}`, F, enc());
      be.configure({ visionAttention: was });
    }
  }
  // The attention alone, 64 frames (one layer): batched blocks vs the per-frame path.
  const F = 64, H = v.heads, d = v.headDim, n = F * T * H * d;
  const [q, k, vv, o] = [0, 1, 2, 3].map(() => A.alloc(n * 4));
  for (const [i, p] of [q, k, vv].entries()) A.randomFill(p, DT.f32, n, 20 + i, 2);
  const flop = 2 * 2 * F * H * T * T * d;
  time('blockAttention 64 frames x 729, 16x72, bf16 (one layer)', F, () => A.blockAttention(o, q, k, vv, F, T, H, d, DT.bf16, 1 / Math.sqrt(d)),
    { TFLOPs: 0 });
  const last = results.timings[results.timings.length - 1];
  last.TFLOPs = flop / (last.ms as number) / 1e9;
  const row = T * H * d * 4;
  time('attention per frame, 64 frames (one layer, previous path)', F, () => {
    const kc = A.alloc(n * 2), vc = A.alloc(n * 2);
    A.cast(kc, DT.bf16, k, DT.f32, n); A.cast(vc, DT.bf16, vv, DT.f32, n);
    for (let f = 0; f < F; f++) A.attention(o + f * row, q + f * row, T, H, H, d, kc + f * row / 2, vc + f * row / 2, DT.bf16, H * d, T, 1 / Math.sqrt(d), -1, null);
    A.free(kc); A.free(vc);
  });
  for (const p of [q, k, vv, o]) A.free(p);
  m.dispose();
});

writeFileSync(OUTFILE, JSON.stringify(results, null, 1));
console.log(failed ? `${failed} vision check(s) FAILED` : 'all vision checks passed');
process.exitCode = failed ? 1 : 0;
