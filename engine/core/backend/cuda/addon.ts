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

/** The shipped kernel variants the addon can be told to run (kernels/src/kernel_config.h; KERNELS.md has the
 *  numbers behind each default). `configure` takes any subset and returns the whole configuration. */
export interface AddonKernelConfig {
  /** > 16 query rows: 'auto' = flash (v7 <= 64 rows, else wgmma v9 on sm_90a with d 128, else v2), 'mma' = flash
   *  without wgmma (what non-Hopper GPUs run), 'cublas' = cuBLAS GEMMs over query chunks. Default 'auto'. */
  prefillAttention: 'auto' | 'mma' | 'cublas';
  /** <= 16 query rows: 'auto' = v9 below 30000 slots, v4 above; 'split' = the generic split-K kernel. Default 'auto'. */
  decodeAttention: 'auto' | 'v4' | 'v9' | 'split';
  /** colMeanSoftmax: tensor cores with bf16 operands (default; head dims up to 128) or SIMT f32. */
  saliency: 'tensor-core' | 'simt';
  /** linear() sends decode-sized (<= 4 rows) bf16/f16 GEMMs to the GEMV kernel. Default false (the backend sets it). */
  gemvLinear: boolean;
  /** Programmatic dependent launch of the GEMV kernels on sm_90+. Default true. */
  gemvPdl: boolean;
}

/** Every function the addon exports, in kernels/src/entry_points.h order (test/unit/kernels/addon-entry-points.test.ts
 *  checks a built addon against this list; the type below must name exactly these). */
export const ADDON_FUNCTIONS = [
  'cpuColMeanSoftmax', 'cpuSlotAttention', 'cpuTopk', 'cpuCompactRows', 'cpuW4Linear',
  'info', 'configure', 'alloc', 'free', 'upload', 'download', 'copy', 'sync', 'fill', 'randomFill', 'cast', 'linear',
  'embed', 'rmsNorm', 'layerNorm', 'add', 'gelu', 'siluMul', 'rope', 'gatherRows', 'bilinear', 'attention',
  'blockAttention', 'flashBlockAttention', 'layerNormTo', 'geluTo', 'linearLowp', 'linearAct', 'linearResidual',
  'patchify', 'linearTo16', 'siluMul16', 'rmsNormTo16', 'qkvRopeKv', 'linearResidualNorm16', 'colMeanSoftmax',
  'compactRows', 'writeRows', 'topkRows', 'gemv', 'ropeKvWrite', 'argmaxRows', 'w4Repack', 'w4Dequant', 'gemvW4',
  'attentionDev', 'pageBounds', 'pageSelect',
] as const;
export type AddonFunctionName = (typeof ADDON_FUNCTIONS)[number];

/** Device pointers are JS numbers. All GPU calls queue work on one stream; `download` and `sync` wait. */
export interface KernelsAddon {
  info(): AddonInfo;
  /** Sets the given fields of the kernel configuration; returns the whole configuration. */
  configure(config?: Partial<AddonKernelConfig>): AddonKernelConfig;
  // CPU references
  cpuColMeanSoftmax(q: Float32Array, k: Float32Array, Tq: number, Tk: number, Hq: number, Hkv: number, d: number,
    scale: number, causalBase: number): Float32Array;
  cpuSlotAttention(q: Float32Array, k: Float32Array, v: Float32Array, Tq: number, Tk: number, Hq: number, Hkv: number,
    d: number, scale: number, causalBase: number, slots: Int32Array | null): Float32Array;
  cpuTopk(scores: Float32Array, k: number): Int32Array;
  cpuCompactRows(base: Float32Array, layers: number, capacity: number, rowElems: number, keep: Int32Array): void;
  /** x [M, K] · Wᵀ for an AutoAWQ gemm-layout weight (scales as fp16 bits), in double: out [M, N]. */
  cpuW4Linear(x: Float32Array, M: number, K: number, qweight: Int32Array, qzeros: Int32Array, scales: Uint16Array,
    N: number, G: number): Float32Array;
  // GPU
  alloc(bytes: number): number;
  free(ptr: number): void;
  upload(ptr: number, data: ArrayBufferView): void;
  download(ptr: number, into: ArrayBufferView): void;
  copy(dst: number, src: number, bytes: number): void;
  sync(): void;
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
  /** angles 0: host positions + invFreq; else a device f32 angle table [T, d/2] (positions / invFreq null). */
  rope(out: number, x: number, T: number, H: number, d: number, positions: Int32Array | null, invFreq: Float32Array | null,
    angles: number): void;
  gatherRows(out: number, x: number, dt: number, cols: number, idx: Int32Array, rows: number): void;
  bilinear(out: number, x: number, frames: number, h: number, w: number, oh: number, ow: number, C: number): void;
  /** <= 16 query rows: a decode kernel (AddonKernelConfig.decodeAttention); more: flash or cuBLAS (prefillAttention). */
  attention(out: number, q: number, Tq: number, Hq: number, Hkv: number, d: number, k: number, v: number, kvdt: number,
    ldkv: number, Tk: number, scale: number, causalBase: number, slots: Int32Array | null): void;
  /** Block-diagonal attention: frames x T rows of q, k, v [frames*T, H*d] (f32), GEMMs in dtype cdt. */
  blockAttention(out: number, q: number, k: number, v: number, frames: number, T: number, H: number, d: number,
    cdt: number, scale: number): void;
  /** The same on the flash kernel (16-bit cdt, d a multiple of 8 up to 128). */
  flashBlockAttention(out: number, q: number, k: number, v: number, frames: number, T: number, H: number, d: number,
    cdt: number, scale: number): void;
  /** 16-bit activations (vision tower): LayerNorm / GELU of f32 x written in dtype odt; linear over 16-bit x. */
  layerNormTo(out: number, odt: number, x: number, rows: number, cols: number, w: number, wdt: number, b: number, bdt: number,
    eps: number): void;
  geluTo(out: number, odt: number, x: number, n: number, tanh: boolean): void;
  linearLowp(out: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number, b: number, bdt: number): void;
  /** out (dtype odt) = GELU(x · wᵀ + b) with the GEMM writing the weight dtype; act 1 tanh, 2 erf. */
  linearAct(out: number, odt: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number,
    b: number, bdt: number, act: number): void;
  /** out (f32) = res + x · wᵀ + b with the GEMM writing the weight dtype. */
  linearResidual(out: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number,
    b: number, bdt: number, res: number): void;
  /** Pixels [frames, C, S, S] f32 -> patch rows [frames*(S/p)², C*p*p]. */
  patchify(out: number, px: number, frames: number, C: number, S: number, p: number): void;
  /** 16-bit prefill MLP (kernels/src/gpu_prefill.cu): out (weight dtype) = x · wᵀ; out = SiLU(g) * u in dtype dt. */
  linearTo16(out: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number, N: number): void;
  siluMul16(out: number, g: number, u: number, dt: number, n: number): void;
  rmsNormTo16(out: number, odt: number, x: number, rows: number, cols: number, w: number, wdt: number, eps: number): void;
  /** Prefill q/k/v: one GEMM over [q; k; v] weights + bias + RoPE; q -> qOut (f32), k / v -> cache rows [at, at+T). */
  qkvRopeKv(qOut: number, x: number, xdt: number, T: number, K: number, w: number, wdt: number, b: number, bdt: number,
    Hq: number, Hkv: number, d: number, positions: Int32Array | null, invFreq: Float32Array | null, kCache: number, vCache: number,
    cdt: number, at: number, angles: number): void;
  /** out (f32) = res + x · wᵀ (+ b), nout (weight dtype) = RMSNorm(out) with weight nw (prefill o / down projection). */
  linearResidualNorm16(out: number, nout: number, x: number, xdt: number, M: number, K: number, w: number, wdt: number,
    N: number, b: number, bdt: number, res: number, nw: number, nwdt: number, eps: number): void;
  /** Streaming column mean of softmax (AddonKernelConfig.saliency picks the kernel). */
  colMeanSoftmax(out: number, q: number, k: number, kdt: number, ldk: number, frames: number, Tq: number, Tk: number,
    Hq: number, Hkv: number, d: number, scale: number, causalBase: number): void;
  compactRows(base: number, dt: number, layers: number, capacity: number, rowElems: number, keep: Int32Array): void;
  writeRows(dst: number, dt: number, rowElems: number, at: number, src: number, T: number): void;
  /** Per-row top-k (gpu_topk.cu): rows = device pointers of f32 score rows, position i reads row[cand ? cand[i] : i];
   *  outIdx i32 [rows][k] ascending positions (topKAscending's rule), outMass f64 [rows][2] (sum, selected sum) or 0. */
  topkRows(outIdx: number, outMass: number, rows: Float64Array, n: number, cand: Int32Array | null, k: number): void;
  /** Decode GEMV (kernels/src/gpu_gemv.h): segs = [w, bias|0, biasDt, res|0, out, N] per output (1-4 outputs);
   *  mode 0 plain, 1 RMSNorm(x) * aux, 2 silu(x) * aux, | 4 GLU epilogue. */
  gemv(M: number, K: number, wdt: number, x: number, mode: number, aux: number, auxDt: number, eps: number,
    segs: Float64Array): void;
  ropeKvWrite(qOut: number, q: number, k: number, v: number, T: number, Hq: number, Hkv: number, d: number,
    positions: Int32Array | null, invFreq: number, kCache: number, vCache: number, cdt: number, at: number, angles: number): void;
  /** Index of the largest value of each row of x [rows, cols] (f32; ties -> lowest index); waits for the GPU. */
  argmaxRows(x: number, rows: number, cols: number): Int32Array;
  /** 4-bit weights (kernels/src/gpu_w4.h): AutoAWQ qweight / qzeros / scales on the device -> the GEMV's tiles (w,
   *  N*K/2 bytes) and scale/zero pairs (sz, N*(K/G)*4 bytes). Needs N % 16, K % 64, G % 64, K % G all 0. */
  w4Repack(w: number, sz: number, qweight: number, qzeros: number, scales: number, N: number, K: number, G: number): void;
  /** The repacked weight as [N, K] of dtype odt. */
  w4Dequant(out: number, odt: number, w: number, sz: number, N: number, K: number, G: number): void;
  /** 4-bit decode GEMV, M <= 8: segs = [w, sz, bias|0, biasDt, res|0, out, N] per output (1-4); mode as gemv; x is
   *  rounded to actDt (bf16 / f16) for the tensor cores. variant: the timing comparison's tilings (0 ships). */
  gemvW4(M: number, K: number, G: number, actDt: number, x: number, mode: number, aux: number, eps: number,
    segs: Float64Array, variant?: number): void;
  /** attention over a slot list already on the device (int32 [nSlots] at slotsPtr; 0 = all Tk). */
  attentionDev(out: number, q: number, Tq: number, Hq: number, Hkv: number, d: number, k: number, v: number, kvdt: number,
    ldkv: number, Tk: number, scale: number, causalBase: number, slotsPtr: number, nSlots: number): void;
  /** Page key bounds (kernels/src/gpu_pages.cu): out f32 [pages][2][kvw] of k rows [first, first + pages*pageSize). */
  pageBounds(out: number, k: number, kdt: number, ldk: number, first: number, pages: number, pageSize: number, kvw: number): void;
  /** Page selection for one decode row q f32 [Hq*d]: outPages i32 [topPages] ascending, outSlots i32 (pages-ref.ts). */
  pageSelect(outSlots: number, outPages: number, q: number, bounds: number, pages: number, Hq: number, Hkv: number, d: number,
    scale: number, topPages: number, first: number, pageSize: number, kvLen: number): void;
}
// KernelsAddon declares exactly ADDON_FUNCTIONS: adding a function to one and not the other fails to typecheck.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const declaredOnce: SameKeys<keyof KernelsAddon, AddonFunctionName> = true;
void declaredOnce;

/** The functions of ADDON_FUNCTIONS that `addon` does not export (an addon built from older sources). */
export function missingFunctions(addon: object): AddonFunctionName[] {
  return ADDON_FUNCTIONS.filter((name) => typeof (addon as Record<string, unknown>)[name] !== 'function');
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
      const missing = missingFunctions(addon);
      if (missing.length) {
        cached = { addon: null, path, gpu: false, info: null,
          message: `no GPU, using CPU (the native addon at ${path} is out of date: it lacks ${missing.join(', ')}; rebuild it with npm run build:addon)` };
        return cached;
      }
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
