// Loads the native addon (kernels/) and types it. Never throws: a missing or CPU-only addon yields a status that
// says why, and the engine falls back to the CPU backend.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Element type codes shared with kernels/src/common.h. */
export const DT = { f32: 0, f16: 1, bf16: 2 } as const;
export type DtCode = (typeof DT)[keyof typeof DT];

export interface AddonInfo {
  built: 'cuda' | 'cpu';
  available: boolean;
  count: number;
  name?: string;
  totalBytes?: number;
  freeBytes?: number;
  cc?: string;
  error?: string;
}

/** Device pointers are JS numbers. All GPU calls queue work on one stream; `download` and `sync` wait. */
export interface KernelsAddon {
  info(): AddonInfo;
  // CPU references
  cpuColMeanSoftmax(q: Float32Array, k: Float32Array, Tq: number, Tk: number, Hq: number, Hkv: number, d: number,
    scale: number, causalBase: number): Float32Array;
  cpuSlotAttention(q: Float32Array, k: Float32Array, v: Float32Array, Tq: number, Tk: number, Hq: number, Hkv: number,
    d: number, scale: number, causalBase: number, slots: Int32Array | null): Float32Array;
  cpuTopk(scores: Float32Array, k: number): Int32Array;
  cpuCompactRows(base: Float32Array, layers: number, capacity: number, rowElems: number, keep: Int32Array): void;
  // GPU
  alloc(bytes: number): number;
  free(ptr: number): void;
  upload(ptr: number, data: ArrayBufferView): void;
  download(ptr: number, into: ArrayBufferView): void;
  copy(dst: number, src: number, bytes: number): void;
  sync(): void;
  /** Prefill attention on the flash kernel (true) or the cuBLAS chunked path (false). */
  setFlash?(on: boolean): void;
  /** Flash kernel version: 0 automatic (default), 1 WMMA, 2-7 mma.sync configurations (kernels/src/gpu_flash.cu). */
  setFlashVersion?(version: number): void;
  fill(ptr: number, dt: number, n: number, value: number): void;
  randomFill(ptr: number, dt: number, n: number, seed: number, scale: number): void;
  cast(dst: number, dstDt: number, src: number, srcDt: number, n: number): void;
  linear(out: number, x: number, M: number, K: number, w: number, wdt: number, N: number, b: number, bdt: number): void;
  embed(out: number, table: number, tdt: number, D: number, ids: Int32Array, vocab: number): void;
  rmsNorm(out: number, x: number, rows: number, cols: number, w: number, wdt: number, eps: number): void;
  layerNorm(out: number, x: number, rows: number, cols: number, w: number, wdt: number, b: number, bdt: number,
    eps: number): void;
  add(out: number, a: number, adt: number, na: number, b: number, bdt: number, nb: number): void;
  gelu(out: number, x: number, n: number, tanh: boolean): void;
  siluMul(out: number, gate: number, up: number, n: number): void;
  rope(out: number, x: number, T: number, H: number, d: number, positions: Int32Array, invFreq: Float32Array): void;
  gatherRows(out: number, x: number, dt: number, cols: number, idx: Int32Array, rows: number): void;
  bilinear(out: number, x: number, frames: number, h: number, w: number, oh: number, ow: number, C: number): void;
  attention(out: number, q: number, Tq: number, Hq: number, Hkv: number, d: number, k: number, v: number, kvdt: number,
    ldkv: number, Tk: number, scale: number, causalBase: number, slots: Int32Array | null): void;
  /** 16-bit activations (vision tower): LayerNorm / GELU of f32 x written in dtype odt; linear over 16-bit x. */
  layerNormTo(out: number, odt: number, x: number, rows: number, cols: number, w: number, wdt: number, b: number, bdt: number,
    eps: number): void;
  geluTo(out: number, odt: number, x: number, n: number, tanh: boolean): void;
  linearLowp(out: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number, b: number, bdt: number): void;
  /** out (dtype odt) = GELU(x · wᵀ + b) with the GEMM writing the weight dtype; act 1 tanh, 2 erf. Absent in older addons. */
  linearAct?(out: number, odt: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number,
    b: number, bdt: number, act: number): void;
  /** Pixels [frames, C, S, S] f32 -> patch rows [frames*(S/p)², C*p*p]. Absent in older addons. */
  patchify?(out: number, px: number, frames: number, C: number, S: number, p: number): void;
  /** layerNormTo kernel: 1 block per row (default), 2 warp per row. Absent in older addons. */
  setLayerNormVersion?(v: number): void;
  /** linearLowp with bias: 1 f32 GEMM output + bias pass (default), 2 16-bit GEMM output + bias into f32. */
  setLinearLowpVersion?(v: number): void;
  /** out (f32) = res + x · wᵀ + b with the GEMM writing the weight dtype. Absent in older addons. */
  linearResidual?(out: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number,
    b: number, bdt: number, res: number): void;
  /** Block-diagonal attention: frames x T rows of q, k, v [frames*T, H*d] (f32), GEMMs in dtype cdt. */
  /** 16-bit prefill MLP (kernels/src/gpu_prefill.cu): out (weight dtype) = x · wᵀ; out = SiLU(g) * u in dtype dt. */
  linearTo16?(out: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number): void;
  siluMul16?(out: number, g: number, u: number, dt: number, n: number): void;
  rmsNormTo16?(out: number, odt: number, x: number, rows: number, cols: number, w: number, wdt: number, eps: number): void;
  /** Prefill q/k/v: one GEMM over [q; k; v] weights + bias + RoPE; q -> qOut (f32), k / v -> cache rows [at, at+T). */
  qkvRopeKv?(qOut: number, x: number, xdt: number, T: number, K: number, w: number, wdt: number, b: number, bdt: number,
    Hq: number, Hkv: number, d: number, positions: Int32Array, invFreq: Float32Array, kCache: number, vCache: number,
    cdt: number, at: number): void;
  /** out (f32) = res + x · wᵀ (+ b), nout (weight dtype) = RMSNorm(out) with weight nw (prefill o / down projection). */
  linearResidualNorm16?(out: number, nout: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number,
    N: number, b: number, bdt: number, res: number, nw: number, nwdt: number, eps: number): void;
  /** linearResidualNorm16 epilogue: 1 scalar, 2 16-byte vectors (default). */
  setResidualNormVersion?(version: number): void;
  /** qkvRopeKv's RoPE / cache-write kernel: 1 one column per thread (default), 2 two columns. */
  setQkvRopeKvVersion?(version: number): void;
  blockAttention(out: number, q: number, k: number, v: number, frames: number, T: number, H: number, d: number,
    cdt: number, scale: number): void;
  /** The same on the flash kernel (16-bit cdt, d a multiple of 8 up to 128); absent in older addons. */
  flashBlockAttention?(out: number, q: number, k: number, v: number, frames: number, T: number, H: number, d: number,
    cdt: number, scale: number): void;
  /** colMeanSoftmax kernel: 1 SIMT f32, 2 tensor cores bf16 operands (default), 3 tensor cores hi+lo bf16. */
  setSaliencyVersion(version: number): void;
  /** Decode attention kernel (<= 16 query rows): 3, 4 (default: persistent blocks, online softmax), 5 (4 + L2 prefetch),
   *  6 (4 + V rows staged in shared memory with cp.async), 7 (4 with twice the loads in flight). */
  setDecodeAttentionVersion(version: number): void;
  colMeanSoftmax(out: number, q: number, k: number, kdt: number, ldk: number, frames: number, Tq: number, Tk: number,
    Hq: number, Hkv: number, d: number, scale: number, causalBase: number): void;
  colMeanMaterialized(out: number, q: number, k: number, frames: number, T: number, H: number, d: number,
    scale: number): void;
  compactRows(base: number, dt: number, layers: number, capacity: number, rowElems: number, keep: Int32Array): void;
  writeRows(dst: number, dt: number, rowElems: number, at: number, src: number, T: number): void;
  /** Per-row top-k (gpu_topk.cu): rows = device pointers of f32 score rows, position i reads row[cand ? cand[i] : i];
   *  outIdx i32 [rows][k] ascending positions (topKAscending's rule), outMass f64 [rows][2] (sum, selected sum) or 0.
   *  version 2 (default): keys gathered once into scratch; 1: scores re-read in every pass. Absent in older addons. */
  topkRows?(outIdx: number, outMass: number, rows: Float64Array, n: number, cand: Int32Array | null, k: number,
    version?: number): void;
  /** Decode GEMV (kernels/src/gpu_gemv.h): segs = [w, bias|0, biasDt, res|0, out, N] per output (1-4 outputs);
   *  mode 0 plain, 1 RMSNorm(x) * aux, 2 silu(x) * aux. */
  gemv(M: number, K: number, wdt: number, x: number, mode: number, aux: number, auxDt: number, eps: number,
    segs: Float64Array, variant?: number): void;
  /** Route decode-sized linear() calls through gemv (true) or cuBLAS (false). */
  setGemv(on: boolean): void;
  /** Programmatic dependent launch of the GEMV kernels on sm_90+ (default on). */
  setGemvPdl?(on: boolean): void;
  gemvEnabled(): boolean;
  ropeKvWrite(qOut: number, q: number, k: number, v: number, T: number, Hq: number, Hkv: number, d: number,
    positions: Int32Array, invFreq: number, kCache: number, vCache: number, cdt: number, at: number): void;
  /** Index of the largest value of each row of x [rows, cols] (f32; ties -> lowest index); waits for the GPU. */
  argmaxRows(x: number, rows: number, cols: number): Int32Array;
}

export interface AddonStatus {
  addon: KernelsAddon | null;
  /** Where it was loaded from, or null. */
  path: string | null;
  /** GPU usable through this addon. */
  gpu: boolean;
  /** One line for users: the GPU in use, or why the CPU is used. */
  message: string;
  info: AddonInfo | null;
}

const here = dirname(fileURLToPath(import.meta.url));

function candidates(): string[] {
  const list: string[] = [];
  if (process.env.SPARSEVILA_ADDON) list.push(resolve(process.env.SPARSEVILA_ADDON));
  const name = 'sparsevila_kernels.node';
  list.push(join(here, '../../../../kernels/build/Release', name));
  // Bundled (dist/cli/*.mjs, dist/electron/engine.cjs run from a checkout): two levels below the package root.
  list.push(join(here, '../../kernels/build/Release', name));
  // Packaged app: electron-builder copies the addon to resources/kernels/.
  const res = (process as { resourcesPath?: string }).resourcesPath;
  if (res) list.push(join(res, 'kernels', name));
  return list;
}

let cached: AddonStatus | null = null;

/** Loads the addon once and reports what it can do. */
export function loadAddon(): AddonStatus {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidates()) {
    if (!existsSync(path)) { tried.push(path); continue; }
    try {
      const addon = require(path) as KernelsAddon;
      const info = addon.info();
      const gpu = info.built === 'cuda' && info.available;
      const message = gpu
        ? `GPU: ${info.name} (${((info.totalBytes ?? 0) / 2 ** 30).toFixed(0)} GiB, compute ${info.cc})`
        : info.error ?? 'no GPU, using CPU';
      cached = { addon, path, gpu, message, info };
      return cached;
    } catch (e) {
      cached = { addon: null, path, gpu: false, info: null,
        message: `no GPU, using CPU (the native addon at ${path} failed to load: ${(e as Error).message})` };
      return cached;
    }
  }
  cached = { addon: null, path: null, gpu: false, info: null,
    message: `no GPU, using CPU (native addon not built; run npm run build:addon; looked in ${tried.join(', ')})` };
  return cached;
}
