// One table of backend ops (like ggml's test-backend-ops): every case builds its inputs from a seeded generator, runs
// one op (a primitive, a KV-cache op, or a LayerOps composite) and returns what it produced. compareBackends runs the
// table on a reference backend (the CPU) and on a backend under test (CUDA) with the same inputs and compares each
// output by its normalized mean squared error. Used by test/unit/kernels/backend-ops.test.ts (where the addon finds a
// GPU) and scripts/gpu/backend_ops.ts (the device run, over every shipped kernel variant).
import type { Backend, Hidden, Linear, RmsNormWeights, Tensor } from '../../../engine/core/backend/backend.ts';
import { loadAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { CudaBackend } from '../../../engine/core/backend/cuda/cuda-backend.ts';
import type { KernelConfig } from '../../../engine/core/backend/cuda/kernel-config.ts';
import { topKAscending } from '../../../engine/core/sparse/select.ts';
import { packAwq } from '../../../engine/core/checkpoint/awq-layout.ts';

/** Uniform values in [-scale, scale) from a fixed seed (mulberry32). */
export function seededRandom(seed: number): (n: number, scale?: number) => Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n, scale = 1) => Float32Array.from({ length: n }, () => (2 * next() - 1) * scale);
}

/** f32 values rounded to bf16 (nearest even), so a bf16 backend holds a weight exactly as the f32 reference does. */
export function bf16Exact(a: Float32Array): Float32Array {
  const u = new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  for (let i = 0; i < u.length; i++) u[i] = ((u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(u.buffer);
}

type Rand = ReturnType<typeof seededRandom>;
/** What a case gets: the backend, the seeded generator and helpers that make tensors on it. */
interface Ctx {
  be: Backend;
  rand: Rand;
  /** An activation [rows, cols] of uniform values in [-scale, scale). */
  act(rows: number, cols: number, scale?: number): Tensor;
  /** A weight uploaded through Backend.weight (bf16-exact values). */
  weight(shape: number[], scale?: number): Tensor;
  linear(out: number, inp: number, bias?: boolean): Linear;
  /** A 4-bit linear (Backend.weightQ4): random codes and zero points, scales around 0.01, f32 bias. */
  linearQ4(out: number, inp: number, groupSize: number, bias?: boolean): Linear;
  norm(cols: number): RmsNormWeights;
  ints(n: number, below: number): Int32Array;
}

export interface OpCase {
  name: string;
  /** Runs the op and returns its outputs on the host (Int32Array outputs must match exactly). */
  run(c: Ctx): (Float32Array | Int32Array)[];
}

function makeCtx(be: Backend, seed: number): Ctx {
  const rand = seededRandom(seed);
  const ctx: Ctx = {
    be, rand,
    act: (rows, cols, scale = 1) => be.fromHost(rand(rows * cols, scale), [rows, cols]),
    weight: (shape, scale = 0.2) => {
      const v = bf16Exact(rand(shape.reduce((a, x) => a * x, 1), scale));
      return be.weight({ dtype: 'f32', shape, bytes: new Uint8Array(v.buffer) });
    },
    linear: (out, inp, bias = true) => ({ w: ctx.weight([out, inp]), b: bias ? ctx.weight([out], 0.5) : undefined }),
    linearQ4: (out, inp, groupSize, bias = true) => {
      const code = (n: number) => Uint8Array.from(rand(n), (x) => Math.min(15, Math.floor((x + 1) * 8)));
      const groups = (inp / groupSize) * out;
      const w = be.weightQ4(packAwq({ out, in: inp, groupSize, codes: code(out * inp), zeros: code(groups),
        scales: Float32Array.from(rand(groups, 0.004), (x) => 0.01 + x) }));
      return { w, b: bias ? ctx.weight([out], 0.5) : undefined };
    },
    norm: (cols) => ({ w: be.weight({ dtype: 'f32', shape: [cols], bytes: new Uint8Array(bf16Exact(Float32Array.from(rand(cols, 0.5), (x) => 1 + x)).buffer) }), eps: 1e-6 }),
    ints: (n, below) => Int32Array.from(rand(n), (x) => Math.min(below - 1, Math.floor((x + 1) / 2 * below))),
  };
  return ctx;
}

const host = (be: Backend, ...ts: Tensor[]) => ts.map((t) => be.toHost(t));
const invFreq = (d: number) => Float32Array.from({ length: d / 2 }, (_, i) => 1 / 1_000_000 ** ((2 * i) / d));
const positions = (n: number, from: number) => Int32Array.from({ length: n }, (_, i) => from + i);
const ascending = (n: number, below: number, rand: Rand) =>
  Int32Array.from([...new Set(Array.from(rand(n), (x) => Math.floor((x + 1) / 2 * below)))].sort((a, b) => a - b));
const hidden = (h: Tensor): Hidden => ({ h, normed: null });
function hiddenOut(c: Ctx, x: Hidden, next: RmsNormWeights | null): Float32Array[] {
  if (!next) return host(c.be, x.h);
  return host(c.be, x.h, x.normed?.t ?? c.be.rmsNorm(x.h, next.w, next.eps));
}

// Attention shapes: GQA 2:1 with d 128 (the flash, wgmma and decode kernels take it), d 64, and the vision tower's d 72.
const attentionCases: OpCase[] = [
  ...[[200, 'flash / wgmma'], [40, 'flash v7'], [3, 'decode kernel']].map(([T, what]) => ({
    name: `attention causal ${T} rows, 4/2 heads d128 (${what})`,
    run: (c: Ctx) => host(c.be, c.be.attention(c.act(T as number, 512), c.act(T as number, 256), c.act(T as number, 256), 4, 2,
      { scale: 128 ** -0.5, causalBase: 0 })),
  })),
  { name: 'attention full 97 x 97, 2/1 heads d64', run: (c) => host(c.be, c.be.attention(c.act(97, 128), c.act(97, 64), c.act(97, 64), 2, 1, { scale: 0.125 })) },
  { name: 'attention 3 vision frames x 50 rows (blocks), 2 heads d72', run: (c) => host(c.be, c.be.attention(c.act(150, 144), c.act(150, 144), c.act(150, 144), 2, 2, { scale: 72 ** -0.5, blocks: 3 })) },
  { name: 'attentionColumnMean 100 rows, 2 heads d72', run: (c) => [c.be.attentionColumnMean(c.act(100, 144, 2), c.act(100, 144, 2), 2, 72 ** -0.5)] },
  { name: 'attentionColumnMean 3 blocks of 40 rows, 2 heads d72', run: (c) => [c.be.attentionColumnMean(c.act(120, 144, 2), c.act(120, 144, 2), 2, 72 ** -0.5, 3)] },
];

// A 2-layer cache of 300 slots (2 kv heads, d 128) filled with 260 rows, then the reads the sessions make.
function withCache(c: Ctx, f: (cache: ReturnType<Backend['createKvCache']>) => (Float32Array | Int32Array)[]) {
  const cache = c.be.createKvCache(2, 2, 128, 300);
  try {
    for (const layer of [0, 1]) c.be.kvWrite(cache, layer, c.act(260, 256), c.act(260, 256), 0);
    cache.length = 260;
    return f(cache);
  } finally {
    c.be.disposeKvCache(cache);
  }
}
const kvCases: OpCase[] = [
  { name: 'kvAttention decode 1 row over 260 slots', run: (c) => withCache(c, (kv) => host(c.be, c.be.kvAttention(kv, 1, c.act(1, 512), 4, 260, { scale: 128 ** -0.5, causalBase: 259 }))) },
  { name: 'kvAttention decode 4 rows over listed slots', run: (c) => withCache(c, (kv) => {
    const slots = ascending(120, 256, c.rand);
    return host(c.be, c.be.kvAttention(kv, 0, c.act(4, 512), 4, 260, { scale: 128 ** -0.5, causalBase: 256, slots }));
  }) },
  { name: 'kvAttention prefill 90 rows over a 170-slot prefix', run: (c) => withCache(c, (kv) =>
    host(c.be, c.be.kvAttention(kv, 1, c.act(90, 512), 4, 260, { scale: 128 ** -0.5, causalBase: 170 }))) },
  { name: 'kvAttention prefill 40 rows over listed slots', run: (c) => withCache(c, (kv) => {
    const slots = ascending(150, 220, c.rand);
    return host(c.be, c.be.kvAttention(kv, 0, c.act(40, 512), 4, 260, { scale: 128 ** -0.5, causalBase: 220, slots }));
  }) },
  { name: 'kvScores 16 question rows, 200 candidates', run: (c) => withCache(c, (kv) =>
    [c.be.kvScores(kv, 1, c.act(16, 512, 2), 4, 260, Int32Array.from({ length: 200 }, (_, i) => i + 30), { scale: 128 ** -0.5, causalBase: 244 })]) },
  { name: 'kvScoresDeferred + kvScoresTopK (2 layers, k 50 of 200): scores and the selected mass', run: (c) => withCache(c, (kv) => {
    const cand = Int32Array.from({ length: 200 }, (_, i) => i + 30), opts = { scale: 128 ** -0.5, causalBase: 244 };
    const q = [c.act(16, 512, 2), c.act(16, 512, 2)];
    const scores = q.map((qq, layer) => c.be.kvScores(kv, layer, qq, 4, 260, cand, opts));
    // Without the device op the controller ranks the downloaded scores with topKAscending; the selected mass is what
    // both must agree on (positions may swap at near-ties between backends).
    let kept = Float32Array.from(scores, (s) => Array.from(topKAscending(s, 50)).reduce((a, i) => a + s[i], 0));
    const rows = q.map((qq, layer) => c.be.kvScoresDeferred(kv, layer, qq, 4, 260, cand, opts));
    const top = c.be.kvScoresTopK(rows, 50);
    if (top) kept = Float32Array.from(top.kept);
    else if (c.be instanceof CudaBackend && c.be.config.deviceTopK) throw new Error('kvScoresTopK declined rows from kvScoresDeferred');
    else rows.forEach((r) => r());  // declined (the CPU backend, or deviceTopK off): the rows are downloaded instead
    return [...scores, kept];
  }) },
  { name: 'kvCompact to 100 slots, then decode', run: (c) => withCache(c, (kv) => {
    c.be.kvCompact(kv, ascending(100, 260, c.rand));
    return host(c.be, c.be.kvAttention(kv, 0, c.act(1, 512), 4, kv.length, { scale: 128 ** -0.5, causalBase: kv.length - 1 }));
  }) },
];

// Layer composites at a decode size (<= 4 rows: the fused GEMV path) and a prefill size (the fused 16-bit path).
// attentionInput's forms: one RoPE stream (Qwen2), an angle table (M-RoPE), and Qwen3's per-head q/k norms without
// q/k/v biases (with an angle table).
const ATTENTION_INPUT_FORMS = ['positions', 'angle table', 'q/k norms, no bias, angle table'] as const;
const layerCases: OpCase[] = [3, 37].flatMap((T) => [
  ...ATTENTION_INPUT_FORMS.map((form) => ({ name: `layerOps.attentionInput ${T} rows (norm + q/k/v + RoPE + KV write, ${form}), then kvAttention`, run: (c: Ctx) => {
    const qk = form.startsWith('q/k norms');
    const qkNorm = qk ? { q: c.norm(128), k: c.norm(128) } : undefined;
    const qkv = c.be.layerOps.packQkv(c.linear(512, 256, !qk), c.linear(256, 256, !qk), c.linear(256, 256, !qk), qkNorm);
    const cache = c.be.createKvCache(1, 2, 128, 64);
    try {
      // Slots [0, 5) are attended below: write them (a fresh device cache is uninitialised, the CPU's is zeros).
      c.be.kvWrite(cache, 0, c.act(5, 256), c.act(5, 256), 0);
      const rope = form === 'positions' ? { positions: positions(T, 5), invFreq: invFreq(128) } : { angles: c.rand(T * 64, 500) };
      const q = c.be.layerOps.attentionInput(hidden(c.act(T, 256)), c.norm(256), qkv, 4, rope, cache, 0, 5);
      cache.length = 5 + T;
      return host(c.be, q, c.be.kvAttention(cache, 0, q, 4, 5 + T, { scale: 128 ** -0.5, causalBase: 5 }));
    } finally {
      c.be.disposeKvCache(cache);
    }
  } })),
  ...[null, 'next norm'].map((next) => ({
    name: `layerOps.residualLinear ${T} rows${next ? ' + next RMSNorm' : ''}`,
    run: (c: Ctx) => {
      const n = next ? c.norm(256) : null;
      return hiddenOut(c, c.be.layerOps.residualLinear(c.act(T, 512), c.linear(256, 512, false), c.act(T, 256), n), n);
    },
  })),
  { name: `layerOps.residualSwiGlu ${T} rows + next RMSNorm`, run: (c: Ctx) => {
    const mlp = { gate: c.linear(384, 256, false), up: c.linear(384, 256, false), down: c.linear(256, 384, false) }, n = c.norm(256);
    return hiddenOut(c, c.be.layerOps.residualSwiGlu(hidden(c.act(T, 256)), c.norm(256), mlp, n), n);
  } },
]);

// The same composites and linear() on 4-bit weights (the 4-bit GEMV at decode sizes; the 16-bit GEMMs on the
// dequantized weight at prefill sizes), against the CPU backend's MatMulNBits.
const q4Cases: OpCase[] = [
  ...[37, 9, 8, 3, 1].map((M) => ({ name: `linear 4-bit ${M} x 128 -> 80 + bias (group 64)`,
    run: (c: Ctx) => host(c.be, c.be.linear(c.act(M, 128), c.linearQ4(80, 128, 64).w, c.weight([80], 0.5))) })),
  ...[3, 37].flatMap((T) => [
    { name: `4-bit layerOps.attentionInput ${T} rows, then kvAttention`, run: (c: Ctx) => {
      const qkv = c.be.layerOps.packQkv(c.linearQ4(512, 256, 128), c.linearQ4(256, 256, 128), c.linearQ4(256, 256, 128));
      const cache = c.be.createKvCache(1, 2, 128, 64);
      try {
        c.be.kvWrite(cache, 0, c.act(5, 256), c.act(5, 256), 0);
        const q = c.be.layerOps.attentionInput(hidden(c.act(T, 256)), c.norm(256), qkv, 4, { positions: positions(T, 5), invFreq: invFreq(128) }, cache, 0, 5);
        cache.length = 5 + T;
        return host(c.be, q, c.be.kvAttention(cache, 0, q, 4, 5 + T, { scale: 128 ** -0.5, causalBase: 5 }));
      } finally {
        c.be.disposeKvCache(cache);
      }
    } },
    { name: `4-bit layerOps.residualLinear ${T} rows + next RMSNorm`, run: (c: Ctx) => {
      const n = c.norm(256);
      return hiddenOut(c, c.be.layerOps.residualLinear(c.act(T, 512), c.linearQ4(256, 512, 128, false), c.act(T, 256), n), n);
    } },
    { name: `4-bit layerOps.residualSwiGlu ${T} rows + next RMSNorm`, run: (c: Ctx) => {
      const mlp = { gate: c.linearQ4(384, 256, 128, false), up: c.linearQ4(384, 256, 128, false), down: c.linearQ4(256, 384, 128, false) }, n = c.norm(256);
      return hiddenOut(c, c.be.layerOps.residualSwiGlu(hidden(c.act(T, 256)), c.norm(256), mlp, n), n);
    } },
  ]),
];

export const OP_CASES: readonly OpCase[] = [
  { name: 'embed 9 ids of a 50 x 64 table', run: (c) => host(c.be, c.be.embed(c.weight([50, 64], 1), c.ints(9, 50))) },
  ...[37, 3, 1].map((M) => ({ name: `linear ${M} x 128 -> 72 + bias`, run: (c: Ctx) => host(c.be, c.be.linear(c.act(M, 128), c.weight([72, 128]), c.weight([72], 0.5))) })),
  { name: 'rmsNorm 37 x 96', run: (c) => host(c.be, c.be.rmsNorm(c.act(37, 96), c.norm(96).w, 1e-6)) },
  { name: 'rmsNorm 37 x 4 heads of 24 (per-head weight)', run: (c) => host(c.be, c.be.rmsNorm(c.act(37, 96), c.norm(24).w, 1e-6)) },
  { name: 'layerNorm 37 x 96', run: (c) => host(c.be, c.be.layerNorm(c.act(37, 96), c.weight([96], 1), c.weight([96], 0.5), 1e-6)) },
  { name: 'add 37 x 96', run: (c) => host(c.be, c.be.add(c.act(37, 96), c.act(37, 96))) },
  ...(['tanh', 'erf'] as const).map((kind) => ({ name: `gelu ${kind} 37 x 96`, run: (c: Ctx) => host(c.be, c.be.gelu(c.act(37, 96, 4), kind)) })),
  { name: 'siluMul 37 x 96', run: (c) => host(c.be, c.be.siluMul(c.act(37, 96, 4), c.act(37, 96))) },
  { name: 'rope 7 rows, 4 heads d64', run: (c) => host(c.be, c.be.rope(c.act(7, 256), 4, c.ints(7, 60000), invFreq(64))) },
  { name: 'ropeAngles 7 rows, 4 heads d64 (angle table)', run: (c) => host(c.be, c.be.ropeAngles(c.act(7, 256), 4, c.rand(7 * 32, 3000))) },
  { name: 'gatherRows / concatRows / sliceRows', run: (c) => {
    const x = c.act(20, 48);
    return host(c.be, c.be.gatherRows(x, c.ints(11, 20)), c.be.concatRows([x, c.act(5, 48)]), c.be.sliceRows(x, 3, 17));
  } },
  { name: 'reshape 20 x 48 -> 5 x 192', run: (c) => host(c.be, c.be.reshape(c.act(20, 48), 5, 192)) },
  { name: 'bilinearResize 2 frames 6x6 -> 4x4, 8 channels', run: (c) => host(c.be, c.be.bilinearResize(c.act(72, 8), 2, 6, 6, 4, 4)) },
  { name: 'deviceSampler.argmaxRows 3 x 5000 (host argmax where there is none)', run: (c) => {
    const x = c.act(3, 5000);
    const got = c.be.deviceSampler?.argmaxRows(x);
    if (got) return [got];
    const h = c.be.toHost(x);
    return [Int32Array.from({ length: 3 }, (_, r) => { let b = 0; for (let i = 1; i < 5000; i++) if (h[r * 5000 + i] > h[r * 5000 + b]) b = i; return b; })];
  } },
  ...attentionCases,
  ...kvCases,
  ...layerCases,
  ...q4Cases,
  ...(['tanh', 'erf'] as const).map((kind) => ({ name: `layerOps.linearGelu ${kind} 37 x 96 -> 160`, run: (c: Ctx) => host(c.be, c.be.layerOps.linearGelu(c.act(37, 96), c.linear(160, 96), kind)) })),
  { name: 'layerOps.linearAdd 37 x 160 -> 96', run: (c) => host(c.be, c.be.layerOps.linearAdd(c.act(37, 160), c.linear(96, 160), c.act(37, 96))) },
  { name: 'layerOps.patchRows 2 frames 3 x 28 x 28, patch 14', run: (c) => host(c.be, c.be.layerOps.patchRows(c.rand(2 * 3 * 28 * 28), 2, 3, 28, 14)) },
];

export interface OpResult {
  name: string;
  ok: boolean;
  /** max over the case's outputs of sum (got - ref)^2 / sum ref^2 (Infinity for a shape or integer mismatch). */
  nmse: number;
  error?: string;
}

function nmse(got: Float32Array | Int32Array, ref: Float32Array | Int32Array): number {
  if (got.length !== ref.length) return Infinity;
  if (got instanceof Int32Array || ref instanceof Int32Array) return got.every((v, i) => v === ref[i]) ? 0 : Infinity;
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (got[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  return Number.isFinite(num) ? num / Math.max(den, 1e-30) : Infinity;
}

/** Runs every case on both backends (same seed per case) and compares; `tol` bounds the NMSE. */
export function compareBackends(ref: Backend, test: Backend, tol: number, cases: readonly OpCase[] = OP_CASES, seed = 1): OpResult[] {
  return cases.map((op, i) => {
    try {
      const want = op.run(makeCtx(ref, seed + i)), got = op.run(makeCtx(test, seed + i));
      if (got.length !== want.length) return { name: op.name, ok: false, nmse: Infinity, error: `${got.length} outputs, want ${want.length}` };
      const e = Math.max(...got.map((g, j) => nmse(g, want[j])));
      return { name: op.name, ok: e <= tol, nmse: e };
    } catch (err) {
      return { name: op.name, ok: false, nmse: Infinity, error: (err as Error).message };
    }
  });
}

/** The CUDA configurations the table runs under: every shipped kernel variant and fallback is on at least one. */
export interface CudaVariant {
  name: string;
  /** Fields of the backend's KernelConfig (engine/core/backend/cuda/kernel-config.ts) to change. */
  kernels: Partial<KernelConfig>;
  /** NMSE bound: f32 mode against the f32 CPU; bf16 mode rounds activations into its GEMMs and attention. */
  tol: number;
}
export const CUDA_VARIANTS: readonly CudaVariant[] = [
  { name: 'f32 weights and cache, defaults', kernels: { dtype: 'f32' }, tol: 1e-5 },
  { name: 'bf16, defaults (flash v7 / wgmma v9 on sm_90a / v2, decode v9, tensor-core saliency, fused GEMV decode, 16-bit prefill with q/k/v and norm fusion, device top-k, flash vision attention)',
    kernels: {}, tol: 2e-3 },
  { name: 'bf16, flash without wgmma (v7 / v2), decode v4, SIMT saliency',
    kernels: { prefillAttention: 'mma', decodeAttention: 'v4', saliency: 'simt' }, tol: 2e-3 },
  { name: 'bf16, cuBLAS prefill attention, split-K decode, cuBLAS decode GEMMs, plain prefill ops, JS top-k, cuBLAS unfused vision ops',
    kernels: { prefillAttention: 'cublas', decodeAttention: 'split', gemv: 'off', prefillFused: false, deviceTopK: false,
      visionAttention: 'cublas', visionFused: false, visionLowp: false }, tol: 2e-3 },
  { name: 'bf16, GEMV in linear() without the fused decode kernels, no PDL, 16-bit prefill without q/k/v and norm fusion',
    kernels: { gemv: 'on', gemvPdl: false, prefillQkv: false, prefillResNorm: false }, tol: 2e-3 },
];

/** Runs the table on a CUDA backend configured as `v` against `ref`; restores the addon's kernel configuration. */
export function runCudaVariant(ref: Backend, v: CudaVariant): OpResult[] {
  const addon = loadAddon().addon;
  if (!addon) throw new Error(loadAddon().message);
  const before = addon.configure();
  try {
    return compareBackends(ref, new CudaBackend(v.kernels), v.tol);
  } finally {
    addon.configure(before);
  }
}
