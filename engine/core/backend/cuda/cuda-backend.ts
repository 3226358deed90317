// The CUDA backend: every op of backend.ts on the GPU through the kernels/ addon. Weights are uploaded once (bf16,
// f16, or f32 for parity runs); activations are f32; GEMMs run on cuBLAS (tensor cores for bf16/f16 weights); the KV
// cache is one allocation per session in the weight dtype.
import type {
  AttentionOptions, AwqPacked, Backend, DeviceSampler, DType, HostTensorData, I8Weight, KvCache, KvTopK, LayerOps, PageSlots, PageTable, PageTableSpec,
  RopePositions, Tensor,
} from '../backend.ts';
import { FusedLayerOps, type FusedKernels, type FusedQkv, type PrefillKernels, type VisionKernels } from '../fused-layer-ops.ts';
import { DT, loadAddon, type KernelsAddon } from './addon.ts';
import { BYTES, CudaKvCache, CudaTensor, numel, type DeviceRandomData } from './cuda-tensor.ts';
import { deviceTopK, type DeviceScoreRow } from './device-topk.ts';
import { CudaPageSlots, CudaPageTable } from './device-pages.ts';
import { CudaFusedOps } from './cuda-fused.ts';
import { DeviceArrays } from './device-arrays.ts';
import { dequantizedQ4Weight } from './q4-dequantized.ts';
import { CudaQ4Tensor, gemvQ4, Q4_GEMV_MAX_ROWS, q4Fits, uploadQ4 } from './cuda-q4.ts';
import { addonKernelConfig, DEFAULT_KERNEL_CONFIG, withKernelConfig, type KernelConfig } from './kernel-config.ts';

// A tensor GC'd without dispose() still frees its device memory (stream-ordered, so this is safe at any time).
const leaks = new FinalizationRegistry<{ addon: KernelsAddon; ptr: number }>(({ addon, ptr }) => {
  try { addon.free(ptr); } catch { /* the device is gone; nothing to free */ }
});

export class CudaBackend implements Backend {
  readonly name = 'cuda' as const;
  readonly device: string;
  readonly dtype: DType;
  private readonly a: KernelsAddon;
  private cfg: KernelConfig;

  /** `kernels`: the fields of DEFAULT_KERNEL_CONFIG to change (kernel-config.ts). */
  constructor(kernels: Partial<KernelConfig> = {}) {
    const st = loadAddon();
    if (!st.addon || !st.gpu) throw new Error(`CUDA backend unavailable: ${st.message}`);
    this.a = st.addon;
    this.cfg = withKernelConfig(DEFAULT_KERNEL_CONFIG, kernels);
    this.dtype = this.cfg.dtype;
    this.device = `${st.info?.name ?? 'GPU'} (CUDA, ${this.dtype} weights)`;
    this.a.configure(addonKernelConfig(this.cfg));
    this.arrays = new DeviceArrays(this.a, (shape) => this.alloc(shape));
    this.fused = new CudaFusedOps(this.a, this.arrays, (shape) => this.alloc(shape), (x) => this.t(x), (c) => this.cache(c), this.actDt);
    this.layerOps = new FusedLayerOps(this, this.kernels());
  }

  /** The 16-bit dtype activations are rounded to for the 4-bit GEMV's tensor cores. */
  private get actDt(): 'bf16' | 'f16' { return this.dtype === 'f16' ? 'f16' : 'bf16'; }
  /** The kernels in use. */
  get config(): Readonly<KernelConfig> { return this.cfg; }
  /** Changes kernel choices from now on (A/B runs). The dtype is fixed at creation; prefillQkv acts at model load. */
  configure(changes: Partial<KernelConfig>): void {
    if (changes.dtype !== undefined && changes.dtype !== this.dtype) throw new Error(`kernel config: dtype is fixed at ${this.dtype} once the backend exists`);
    this.cfg = withKernelConfig(this.cfg, changes);
    this.a.configure(addonKernelConfig(this.cfg));
  }

  /** Per-layer retrieval top-k on the device; null with deviceTopK off (the controller then ranks in JS). */
  kvScoresTopK(rows: readonly (() => Float32Array)[], k: number): KvTopK | null {
    if (!this.cfg.deviceTopK) return null;
    const dev = rows.map((f) => this.deferredRows.get(f));
    if (dev.some((r) => !r || !r.live || r.candidates !== dev[0]!.candidates)) return null;
    return deviceTopK(this.a, dev as DeviceScoreRow[], k);
  }
  private deferredRows = new WeakMap<() => Float32Array, DeviceScoreRow>();
  private readonly fused: CudaFusedOps;
  private readonly arrays: DeviceArrays;
  readonly layerOps: LayerOps;
  /** The GEMV argmax when gemv is 'fused' (the decode path ChatSession pipelines), else null. */
  get deviceSampler(): DeviceSampler | null {
    return this.cfg.gemv === 'fused' ? this.fused : null;
  }
  /** The fused kernels FusedLayerOps runs, as the configuration chooses them at each call. */
  private kernels(): FusedKernels {
    const be = this;
    return {
      get decode() { return be.cfg.gemv === 'fused' ? be.fused : null; },
      get prefill() { return be.prefillKernels(); },
      vision: be.visionKernels(),
    };
  }
  /** The 16-bit prefill kernels (KernelConfig.prefillFused / prefillQkv / prefillResNorm; none in f32 mode). */
  private prefillKernels(): PrefillKernels | null {
    if (!this.cfg.prefillFused || this.dtype === 'f32') return null;
    const qkv = this.cfg.prefillQkv;
    return {
      rmsNorm16: (x, w, eps) => {
        const xt = this.f32(x, 'rmsNorm16'), wt = this.t(w);
        if (wt.size !== xt.cols) throw new Error(`rmsNorm16: weight ${wt.size} vs ${xt.cols} columns`);
        const out = this.alloc(xt.shape, this.dtype);
        this.a.rmsNormTo16(out.ptr, DT[this.dtype], xt.ptr, xt.rows, xt.cols, wt.ptr, DT[wt.dtype], eps);
        return out;
      },
      swiGlu16: (x, gate, up) => {
        if (gate instanceof CudaQ4Tensor || up instanceof CudaQ4Tensor)
          return this.withDense([gate, up], ([g, u]) => this.prefillKernels()!.swiGlu16(x, g, u));
        const xt = this.t(x), gt = this.t(gate), ut = this.t(up);
        const N = gt.shape[0], K = gt.size / N, M = xt.rows;
        if (gt.shape.length !== 2 || ut.size !== gt.size || xt.cols !== K || gt.dtype === 'f32' || ut.dtype !== gt.dtype ||
          (xt.dtype !== 'f32' && xt.dtype !== gt.dtype))
          throw new Error(`swiGlu16: x ${JSON.stringify(xt.shape)} ${xt.dtype} vs gate/up ${JSON.stringify(gt.shape)} ${gt.dtype}`);
        const g = this.alloc([M, N], gt.dtype), u = this.alloc([M, N], gt.dtype);
        this.a.linearTo16(g.ptr, xt.ptr, DT[xt.dtype], M, K, gt.ptr, DT[gt.dtype], N);
        this.a.linearTo16(u.ptr, xt.ptr, DT[xt.dtype], M, K, ut.ptr, DT[ut.dtype], N);
        const out = this.alloc([M, N], gt.dtype);
        this.a.siluMul16(out.ptr, g.ptr, u.ptr, DT[gt.dtype], M * N);
        this.dispose(g); this.dispose(u);
        return out;
      },
      fuseQkv: qkv ? (w, b) => this.fuseQkv(w, b) : null,
      qkvRopeKv: qkv ? (x, f, cache, layer, heads, rope, at) => this.qkvRopeKv(x, f, cache, layer, heads, rope, at) : null,
      linearAddNorm16: this.cfg.prefillResNorm ? (x, w, residual, normW, eps) => this.linearAddNorm16(x, w, residual, normW, eps) : null,
    };
  }
  /** Prefill: the RMSNorm after the o / down projections in their epilogue (PrefillKernels.linearAddNorm16). */
  private linearAddNorm16(x: Tensor, w: Tensor, residual: Tensor, normW: Tensor, eps: number): [Tensor, Tensor] {
    if (w instanceof CudaQ4Tensor) return this.withDense([w], ([d]) => this.linearAddNorm16(x, d, residual, normW, eps));
    const xt = this.t(x), wt = this.t(w), rt = this.f32(residual, 'linearAddNorm16'), nt = this.t(normW);
    const N = wt.shape[0], K = wt.size / N, M = xt.rows;
    if (wt.shape.length !== 2 || wt.dtype === 'f32' || xt.cols !== K || (xt.dtype !== 'f32' && xt.dtype !== wt.dtype) ||
      rt.size !== M * N || nt.size !== N)
      throw new Error(`linearAddNorm16: x ${JSON.stringify(xt.shape)} ${xt.dtype}, weight ${JSON.stringify(wt.shape)} ${wt.dtype}, residual ${JSON.stringify(rt.shape)}, norm ${nt.size}`);
    const out = this.alloc([M, N]), nout = this.alloc([M, N], wt.dtype);
    this.a.linearResidualNorm16(out.ptr, nout.ptr, xt.ptr, DT[xt.dtype], M, K, wt.ptr, DT[wt.dtype], N, 0, 0, rt.ptr, nt.ptr,
      DT[nt.dtype], eps);
    return [out, nout];
  }
  /** Load time: [q; k; v] weights and biases in one allocation each (PrefillKernels.fuseQkv), 16-bit modes only. */
  private fuseQkv(w: readonly [Tensor, Tensor, Tensor], b: readonly [Tensor, Tensor, Tensor]): FusedQkv | null {
    if (w.some((x) => x instanceof CudaQ4Tensor)) return null;  // 4-bit q/k/v: one GEMV launch at decode anyway
    const ws = w.map((x) => this.t(x)), bs = b.map((x) => this.t(x));
    const K = ws[0].cols;
    if (ws.some((x) => x.shape.length !== 2 || x.cols !== K || x.dtype !== ws[0].dtype || x.base) || ws[0].dtype === 'f32' ||
      bs.some((x, i) => x.size !== ws[i].shape[0] || x.dtype !== bs[0].dtype || x.base)) return null;
    const fw = this.catRows(ws), fb = this.catRows(bs);
    const view = (base: CudaTensor, parts: CudaTensor[]): [Tensor, Tensor, Tensor] => {
      let off = 0;
      const r = parts.map((p) => { const v = new CudaTensor(p.shape, p.dtype, base.ptr + off, base); off += p.bytes; return v; });
      return [r[0], r[1], r[2]];
    };
    const parts = { w: view(fw, ws), b: view(fb, bs) };
    for (const x of [...ws, ...bs]) this.dispose(x);
    return { w: fw, b: fb, parts };
  }
  /** Rows of same-dtype tensors stacked into one new allocation (vectors count as one row each). */
  private catRows(ts: CudaTensor[]): CudaTensor {
    const rows = ts.reduce((a, x) => a + (x.shape.length >= 2 ? x.shape[0] : x.size), 0);
    const out = this.alloc(ts[0].shape.length >= 2 ? [rows, ts[0].cols] : [rows], ts[0].dtype);
    let off = 0;
    for (const x of ts) { this.a.copy(out.ptr + off, x.ptr, x.bytes); off += x.bytes; }
    return out;
  }
  private qkvRopeKv(x: Tensor, qkv: FusedQkv, cache: KvCache, layer: number, heads: number, rope: RopePositions,
    at: number): Tensor {
    const xt = this.t(x), wt = this.t(qkv.w), bt = this.t(qkv.b), c = this.cache(cache);
    const T = xt.rows, K = xt.cols, d = c.headDim, N = (heads + 2 * c.kvHeads) * d;
    if (wt.shape.length !== 2 || wt.shape[0] !== N || wt.cols !== K || bt.size !== N || (xt.dtype !== 'f32' && xt.dtype !== wt.dtype))
      throw new Error(`qkvRopeKv: x ${JSON.stringify(xt.shape)} ${xt.dtype}, weights ${JSON.stringify(wt.shape)} for ${heads}+2x${c.kvHeads} heads of ${d}`);
    if (c.dtype !== wt.dtype) throw new Error(`qkvRopeKv: cache ${c.dtype} vs weights ${wt.dtype}`);
    const r = this.arrays.rope('qkvRopeKv', rope, T, d);
    if (!(at >= 0 && at + T <= c.capacity)) throw new Error(`qkvRopeKv: slots [${at}, ${at + T}) exceed capacity ${c.capacity}`);
    const q = this.alloc([T, heads * d]);
    const off = c.layerOffset(layer);
    this.a.qkvRopeKv(q.ptr, xt.ptr, DT[xt.dtype], T, K, wt.ptr, DT[wt.dtype], bt.ptr, DT[bt.dtype], heads, c.kvHeads, d,
      r.positions, r.invFreq, c.k + off, c.v + off, DT[c.dtype], at, r.angles);
    return q;
  }

  // --- memory ------------------------------------------------------------------------------------------------
  private alloc(shape: readonly number[], dtype: DType = 'f32'): CudaTensor {
    const t = new CudaTensor([...shape], dtype, this.a.alloc(Math.max(1, numel(shape)) * BYTES[dtype]));
    leaks.register(t, { addon: this.a, ptr: t.ptr }, t);
    return t;
  }
  private t(x: Tensor): CudaTensor {
    if (x instanceof CudaQ4Tensor) throw new Error('CUDA backend: a 4-bit weight can only be a linear layer\'s weight');
    if (!(x instanceof CudaTensor)) throw new Error('CUDA backend got a tensor from another backend');
    if (x.disposed) throw new Error('CUDA backend: tensor used after dispose');
    return x;
  }
  private f32(x: Tensor, op: string): CudaTensor {
    const t = this.t(x);
    if (t.dtype !== 'f32') throw new Error(`${op}: expects an f32 activation, got ${t.dtype}`);
    return t;
  }

  weight(data: HostTensorData): Tensor {
    const n = numel(data.shape);
    if ('deviceRandom' in data) return this.randomWeight(data as DeviceRandomData);
    if (data.bytes.byteLength !== n * BYTES[data.dtype])
      throw new Error(`weight: ${n} ${data.dtype} elements need ${n * BYTES[data.dtype]} bytes, got ${data.bytes.byteLength}`);
    // Matrices take the compute dtype; vectors (norms, biases) stay f32.
    const target: DType = data.shape.length >= 2 ? this.dtype : 'f32';
    if (target === data.dtype) {
      const t = this.alloc(data.shape, target);
      this.a.upload(t.ptr, data.bytes);
      return t;
    }
    const src = this.alloc(data.shape, data.dtype);
    this.a.upload(src.ptr, data.bytes);
    const t = this.alloc(data.shape, target);
    this.a.cast(t.ptr, DT[target], src.ptr, DT[data.dtype], n);
    this.dispose(src);
    return t;
  }
  /** Packed on the device (cuda-q4.ts) where the 4-bit kernels take the shape, else dequantized at load. */
  weightQ4(p: AwqPacked): Tensor {
    if (!q4Fits(p.out, p.in, p.groupSize)) return dequantizedQ4Weight(p, (data) => this.weight(data));
    const q = uploadQ4(this.a, p);
    for (const ptr of [q.w, q.sz]) leaks.register(q, { addon: this.a, ptr }, q);
    return q;
  }
  /** No int8 (FP8 / INT8) GEMMs on the GPU yet: 8-bit vision is refused with a clear error. */
  weightI8(w: I8Weight): Tensor {
    throw new Error(`8-bit vision is not implemented on the CUDA backend yet (int8 weight [${w.out}, ${w.in}]): use 16-bit vision, or the CPU backend`);
  }
  /** Runs f on the weights with every 4-bit one dequantized into a temporary matrix of the compute dtype (freed after
   *  the queued work; the pool is stream-ordered): the prefill GEMMs' path for 4-bit weights. */
  private withDense<R>(ws: readonly Tensor[], f: (ws: Tensor[]) => R): R {
    const tmp: CudaTensor[] = [];
    const dense = ws.map((w) => {
      if (!(w instanceof CudaQ4Tensor)) return w;
      if (w.disposed) throw new Error('CUDA backend: tensor used after dispose');
      const d = this.alloc(w.shape, this.dtype);
      this.a.w4Dequant(d.ptr, DT[this.dtype], w.w, w.sz, w.out, w.in, w.groupSize);
      tmp.push(d);
      return d;
    });
    try {
      return f(dense);
    } finally {
      for (const d of tmp) this.dispose(d);
    }
  }
  /** x · Wᵀ (+ b) for a 4-bit W: the GEMV for up to 8 f32 rows, else the 16-bit GEMM on the dequantized weight. */
  private linearQ4(x: Tensor, w: CudaQ4Tensor, b?: Tensor): Tensor {
    const xt = this.t(x);
    if (w.disposed) throw new Error('CUDA backend: tensor used after dispose');
    if (xt.cols !== w.in) throw new Error(`linear: x ${JSON.stringify(xt.shape)} vs 4-bit weight [${w.shape}]`);
    if (xt.dtype !== 'f32' || xt.rows > Q4_GEMV_MAX_ROWS || xt.ptr % 16) return this.withDense([w], ([d]) => this.linear(x, d, b));
    const bt = b ? this.t(b) : null;
    if (bt && bt.size !== w.out) throw new Error(`linear: bias has ${bt.size} values, weight has ${w.out} outputs`);
    const out = this.alloc([xt.rows, w.out]);
    gemvQ4(this.a, xt, this.actDt, 0, null, 0, [{ w, b: bt, out: out.ptr }]);
    return out;
  }
  private randomWeight(data: DeviceRandomData): Tensor {
    const t = this.alloc(data.shape, data.shape.length >= 2 ? this.dtype : 'f32');
    const r = data.deviceRandom;
    if ('fill' in r) this.a.fill(t.ptr, DT[t.dtype], t.size, r.fill);
    else this.a.randomFill(t.ptr, DT[t.dtype], t.size, r.seed >>> 0, r.std * Math.sqrt(3));
    return t;
  }
  fromHost(data: Float32Array, shape: readonly number[]): Tensor {
    if (data.length !== numel(shape)) throw new Error(`fromHost: ${data.length} values for shape ${JSON.stringify(shape)}`);
    const t = this.alloc(shape);
    this.a.upload(t.ptr, data);
    return t;
  }
  toHost(x: Tensor): Float32Array {
    const t = this.t(x);
    const out = new Float32Array(t.size);
    if (t.dtype === 'f32') { this.a.download(t.ptr, out); return out; }
    const tmp = this.alloc(t.shape);
    this.a.cast(tmp.ptr, DT.f32, t.ptr, DT[t.dtype], t.size);
    this.a.download(tmp.ptr, out);
    this.dispose(tmp);
    return out;
  }
  dispose(x: Tensor): void {
    if (x instanceof CudaQ4Tensor) {
      if (x.disposed) return;
      x.disposed = true;
      leaks.unregister(x);
      this.a.free(x.w);
      this.a.free(x.sz);
      return;
    }
    const t = this.t(x);
    t.disposed = true;
    if (t.base) return;
    leaks.unregister(t);
    this.a.free(t.ptr);
  }
  sync(): void { this.a.sync(); }
  /** Bytes in use on the device (cudaMemGetInfo). The stream-ordered pool keeps every freed block for reuse
   *  (gpu_runtime.cu), so this is the high-water mark of the pool since the backend started, plus the CUDA context,
   *  cuBLAS workspace and anything else on the GPU. */
  deviceMemoryInUse(): number {
    this.a.sync();
    const i = this.a.info();
    return (i.totalBytes ?? 0) - (i.freeBytes ?? 0);
  }

  // --- dense ops -----------------------------------------------------------------------------------------------
  embed(table: Tensor, ids: Int32Array): Tensor {
    const tb = this.t(table);
    if (tb.shape.length !== 2) throw new Error(`embed: table must be [V, D], got ${JSON.stringify(tb.shape)}`);
    const [V, D] = tb.shape;
    const out = this.alloc([ids.length, D]);
    this.a.embed(out.ptr, tb.ptr, DT[tb.dtype], D, ids, V);
    return out;
  }
  /** LayerNorm and GELU write 16-bit outputs in bf16/f16 mode (KernelConfig.visionLowp): their consumer is always a
   *  linear, which would cast them to the weight dtype anyway (same numbers, fewer bytes moved). Off in f32 mode. */
  private lowpOut(): DType {
    return this.cfg.visionLowp && this.dtype !== 'f32' ? this.dtype : 'f32';
  }
  private linearLowp(xt: CudaTensor, w: Tensor, b?: Tensor): Tensor {
    const wt = this.t(w);
    const N = wt.shape[0], K = wt.size / N, M = xt.rows;
    if (wt.shape.length !== 2 || xt.cols !== K || wt.dtype !== xt.dtype)
      throw new Error(`linear: x ${JSON.stringify(xt.shape)} ${xt.dtype} vs weight ${JSON.stringify(wt.shape)} ${wt.dtype}`);
    const bt = b ? this.t(b) : null;
    if (bt && bt.size !== N) throw new Error(`linear: bias has ${bt.size} values, weight has ${N} outputs`);
    const out = this.alloc([M, N]);
    this.a.linearLowp(out.ptr, xt.ptr, DT[xt.dtype], M, K, wt.ptr, DT[wt.dtype], N, bt ? bt.ptr : 0, bt ? DT[bt.dtype] : 0);
    return out;
  }
  /** The vision tower's fused GEMMs (declined, so run as linear + gelu / add, with KernelConfig.visionFused off or, for
   *  linearAdd, f32 weights) and the device patch rearrangement. */
  private visionKernels(): VisionKernels {
    return {
      linearGelu: (x, w, b, kind) => this.linearGeluKernel(x, w, b, kind),
      linearAdd: (x, w, b, residual) => this.linearAddKernel(x, w, b, residual),
      patchify: this.patchifyKernel,
    };
  }
  private linearGeluKernel(x: Tensor, w: Tensor, b: Tensor | undefined, kind: 'tanh' | 'erf'): Tensor | null {
    if (w instanceof CudaQ4Tensor) return this.withDense([w], ([d]) => this.linearGeluKernel(x, d, b, kind));
    const xt = this.t(x), wt = this.t(w);
    if (!this.cfg.visionFused) return null;
    const N = wt.shape[0], K = wt.size / N, M = xt.rows;
    if (wt.shape.length !== 2 || xt.cols !== K || (xt.dtype !== 'f32' && xt.dtype !== wt.dtype))
      throw new Error(`linearGelu: x ${JSON.stringify(xt.shape)} ${xt.dtype} vs weight ${JSON.stringify(wt.shape)} ${wt.dtype}`);
    const bt = b ? this.t(b) : null;
    if (bt && bt.size !== N) throw new Error(`linearGelu: bias has ${bt.size} values, weight has ${N} outputs`);
    const odt = this.lowpOut();
    const out = this.alloc([M, N], odt);
    this.a.linearAct(out.ptr, DT[odt], xt.ptr, DT[xt.dtype], M, K, wt.ptr, DT[wt.dtype], N, bt ? bt.ptr : 0, bt ? DT[bt.dtype] : 0,
      kind === 'tanh' ? 1 : 2);
    return out;
  }
  private linearAddKernel(x: Tensor, w: Tensor, b: Tensor | undefined, residual: Tensor): Tensor | null {
    if (w instanceof CudaQ4Tensor) return this.withDense([w], ([d]) => this.linearAddKernel(x, d, b, residual));
    const xt = this.t(x), wt = this.t(w), rt = this.f32(residual, 'linearAdd');
    if (!this.cfg.visionFused || wt.dtype === 'f32') return null;
    const N = wt.shape[0], K = wt.size / N, M = xt.rows;
    if (wt.shape.length !== 2 || xt.cols !== K || (xt.dtype !== 'f32' && xt.dtype !== wt.dtype) || rt.size !== M * N)
      throw new Error(`linearAdd: x ${JSON.stringify(xt.shape)} ${xt.dtype}, weight ${JSON.stringify(wt.shape)}, residual ${JSON.stringify(rt.shape)}`);
    const bt = b ? this.t(b) : null;
    if (bt && bt.size !== N) throw new Error(`linearAdd: bias has ${bt.size} values, weight has ${N} outputs`);
    const out = this.alloc([M, N]);
    this.a.linearResidual(out.ptr, xt.ptr, DT[xt.dtype], M, K, wt.ptr, DT[wt.dtype], N, bt ? bt.ptr : 0, bt ? DT[bt.dtype] : 0, rt.ptr);
    return out;
  }
  private readonly patchifyKernel = (pixels: Tensor, frames: number, channels: number, size: number, patch: number): Tensor => {
    const pt = this.f32(pixels, 'patchify');
    if (pt.size !== frames * channels * size * size) throw new Error(`patchify: ${pt.size} values are not ${frames}x${channels}x${size}x${size}`);
    const g = Math.floor(size / patch);
    const out = this.alloc([frames * g * g, channels * patch * patch]);
    this.a.patchify(out.ptr, pt.ptr, frames, channels, size, patch);
    return out;
  };
  linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
    if (w instanceof CudaQ4Tensor) return this.linearQ4(x, w, b);
    if (x instanceof CudaTensor && x.dtype !== 'f32' && !x.disposed) return this.linearLowp(x, w, b);
    const xt = this.f32(x, 'linear'), wt = this.t(w);
    const N = wt.shape[0], K = wt.size / N, M = xt.rows;
    if (wt.shape.length !== 2 || xt.cols !== K)
      throw new Error(`linear: x ${JSON.stringify(xt.shape)} vs weight ${JSON.stringify(wt.shape)}`);
    const bt = b ? this.t(b) : null;
    if (bt && bt.size !== N) throw new Error(`linear: bias has ${bt.size} values, weight has ${N} outputs`);
    const out = this.alloc([M, N]);
    this.a.linear(out.ptr, xt.ptr, M, K, wt.ptr, DT[wt.dtype], N, bt ? bt.ptr : 0, bt ? DT[bt.dtype] : 0);
    return out;
  }
  rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor {
    const xt = this.f32(x, 'rmsNorm'), wt = this.t(w);
    // Runs of wt.size columns (per-head norms) are rows of that width: the memory is contiguous.
    if (xt.cols % wt.size) throw new Error(`rmsNorm: ${xt.cols} columns are not runs of the weight's ${wt.size}`);
    const out = this.alloc(xt.shape);
    this.a.rmsNorm(out.ptr, xt.ptr, xt.size / wt.size, wt.size, wt.ptr, DT[wt.dtype], eps);
    return out;
  }
  layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
    const xt = this.f32(x, 'layerNorm'), wt = this.t(w), bt = this.t(b);
    if (wt.size !== xt.cols || bt.size !== xt.cols) throw new Error(`layerNorm: weight/bias vs ${xt.cols} columns`);
    const odt = this.lowpOut();
    const out = this.alloc(xt.shape, odt);
    if (odt === 'f32') this.a.layerNorm(out.ptr, xt.ptr, xt.rows, xt.cols, wt.ptr, DT[wt.dtype], bt.ptr, DT[bt.dtype], eps);
    else this.a.layerNormTo(out.ptr, DT[odt], xt.ptr, xt.rows, xt.cols, wt.ptr, DT[wt.dtype], bt.ptr, DT[bt.dtype], eps);
    return out;
  }
  add(a: Tensor, b: Tensor): Tensor {
    const at = this.t(a), bt = this.t(b);
    if (at.size !== bt.size) throw new Error(`add: sizes ${at.size} vs ${bt.size}`);
    const out = this.alloc(at.shape);
    this.a.add(out.ptr, at.ptr, DT[at.dtype], at.size, bt.ptr, DT[bt.dtype], bt.size);
    return out;
  }
  gelu(x: Tensor, kind: 'tanh' | 'erf'): Tensor {
    const xt = this.f32(x, 'gelu');
    const odt = this.lowpOut();
    const out = this.alloc(xt.shape, odt);
    if (odt === 'f32') this.a.gelu(out.ptr, xt.ptr, xt.size, kind === 'tanh');
    else this.a.geluTo(out.ptr, DT[odt], xt.ptr, xt.size, kind === 'tanh');
    return out;
  }
  siluMul(gate: Tensor, up: Tensor): Tensor {
    const g = this.f32(gate, 'siluMul'), u = this.f32(up, 'siluMul');
    if (g.size !== u.size) throw new Error(`siluMul: sizes ${g.size} vs ${u.size}`);
    const out = this.alloc(g.shape);
    this.a.siluMul(out.ptr, g.ptr, u.ptr, g.size);
    return out;
  }
  rope(x: Tensor, heads: number, positions: Int32Array, invFreq: Float32Array): Tensor {
    return this.ropeOf(x, heads, { positions, invFreq });
  }
  ropeAngles(x: Tensor, heads: number, angles: Float32Array): Tensor {
    return this.ropeOf(x, heads, { angles });
  }
  private ropeOf(x: Tensor, heads: number, rope: RopePositions): Tensor {
    const xt = this.f32(x, 'rope');
    const T = xt.rows, d = xt.cols / heads;
    if (!Number.isInteger(d) || d % 2) throw new Error(`rope: ${xt.cols} columns do not split into ${heads} even heads`);
    const r = this.arrays.rope('rope', rope, T, d);
    const out = this.alloc(xt.shape);
    this.a.rope(out.ptr, xt.ptr, T, heads, d, r.positions, r.invFreq, r.angles);
    return out;
  }
  gatherRows(x: Tensor, idx: Int32Array): Tensor {
    const xt = this.t(x);
    const out = this.alloc([idx.length, xt.cols], xt.dtype);
    if (idx.length) this.a.gatherRows(out.ptr, xt.ptr, DT[xt.dtype], xt.cols, idx, xt.rows);
    return out;
  }
  concatRows(parts: readonly Tensor[]): Tensor {
    if (!parts.length) throw new Error('concatRows: no parts');
    const ts = parts.map((p) => this.t(p));
    const cols = ts[0].cols, dtype = ts[0].dtype;
    for (const p of ts) if (p.cols !== cols || p.dtype !== dtype) throw new Error('concatRows: parts differ in columns or dtype');
    const out = this.alloc([ts.reduce((a, p) => a + p.rows, 0), cols], dtype);
    let off = 0;
    for (const p of ts) { this.a.copy(out.ptr + off, p.ptr, p.bytes); off += p.bytes; }
    return out;
  }
  sliceRows(x: Tensor, start: number, end: number): Tensor {
    const xt = this.t(x);
    if (!(start >= 0 && end >= start && end <= xt.rows)) throw new Error(`sliceRows: [${start}, ${end}) outside ${xt.rows} rows`);
    const out = this.alloc([end - start, xt.cols], xt.dtype);
    const rowBytes = xt.cols * BYTES[xt.dtype];
    if (end > start) this.a.copy(out.ptr, xt.ptr + start * rowBytes, (end - start) * rowBytes);
    return out;
  }
  reshape(x: Tensor, rows: number, cols: number): Tensor {
    const xt = this.t(x);
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0) || rows * cols !== xt.size) {
      throw new Error(`reshape: ${JSON.stringify(xt.shape)} (${xt.size} elements) cannot be viewed as ${rows} x ${cols}`);
    }
    const out = this.alloc([rows, cols], xt.dtype);
    if (xt.size) this.a.copy(out.ptr, xt.ptr, xt.size * BYTES[xt.dtype]);
    return out;
  }
  bilinearResize(x: Tensor, frames: number, h: number, w: number, oh: number, ow: number): Tensor {
    const xt = this.f32(x, 'bilinearResize');
    if (xt.rows !== frames * h * w) throw new Error(`bilinearResize: ${xt.rows} rows are not ${frames}x${h}x${w}`);
    const out = this.alloc([frames * oh * ow, xt.cols]);
    this.a.bilinear(out.ptr, xt.ptr, frames, h, w, oh, ow, xt.cols);
    return out;
  }

  // --- attention -----------------------------------------------------------------------------------------------
  private checkHeads(q: CudaTensor, heads: number, kvHeads: number): number {
    const d = q.cols / heads;
    if (!Number.isInteger(d) || heads % kvHeads) throw new Error(`attention: ${q.cols} columns, ${heads} heads, ${kvHeads} kv heads`);
    return d;
  }
  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, kvHeads: number, opts: AttentionOptions): Tensor {
    const qt = this.f32(q, 'attention'), kt = this.t(k), vt = this.t(v);
    const d = this.checkHeads(qt, heads, kvHeads);
    if (opts.blocks !== undefined && opts.blocks !== 1) return this.blockAttention(qt, kt, vt, heads, kvHeads, d, opts);
    if (kt.cols !== kvHeads * d || vt.cols !== kvHeads * d || kt.rows !== vt.rows || kt.dtype !== vt.dtype)
      throw new Error(`attention: k ${JSON.stringify(kt.shape)} / v ${JSON.stringify(vt.shape)} vs ${kvHeads}x${d}`);
    // In bf16/f16 mode the score and value GEMMs run on the tensor cores.
    const cast = this.dtype !== 'f32' && kt.dtype === 'f32';
    const kc = cast ? this.castTo(kt, this.dtype) : kt, vc = cast ? this.castTo(vt, this.dtype) : vt;
    const out = this.alloc(qt.shape);
    try {
      this.a.attention(out.ptr, qt.ptr, qt.rows, heads, kvHeads, d, kc.ptr, vc.ptr, DT[kc.dtype], kvHeads * d, kt.rows,
        opts.scale, opts.causalBase ?? -1, opts.slots ?? null);
    } finally {
      if (cast) { this.dispose(kc); this.dispose(vc); }
    }
    return out;
  }
  /** Frames of the vision tower: every frame's rows attend within the frame, all frames and heads batched. */
  private blockAttention(qt: CudaTensor, kt: CudaTensor, vt: CudaTensor, heads: number, kvHeads: number, d: number,
    opts: AttentionOptions): Tensor {
    const n = opts.blocks!;
    if (!(Number.isInteger(n) && n >= 1 && qt.rows % n === 0) || kt.rows !== qt.rows || vt.rows !== qt.rows)
      throw new Error(`attention: ${qt.rows} query / ${kt.rows} key rows do not split into ${n} equal blocks`);
    if (heads !== kvHeads || kt.cols !== qt.cols || vt.cols !== qt.cols) throw new Error('attention: blocks need heads == kvHeads');
    if (opts.slots || opts.causalBase !== undefined) throw new Error('attention: blocks cannot be combined with slots or causalBase');
    const k32 = this.f32(kt, 'attention'), v32 = this.f32(vt, 'attention');
    const out = this.alloc(qt.shape);
    const flash = this.cfg.visionAttention === 'flash' && this.dtype !== 'f32' && d % 8 === 0 && d <= 128;
    if (flash) this.a.flashBlockAttention(out.ptr, qt.ptr, k32.ptr, v32.ptr, n, qt.rows / n, heads, d, DT[this.dtype], opts.scale);
    else this.a.blockAttention(out.ptr, qt.ptr, k32.ptr, v32.ptr, n, qt.rows / n, heads, d, DT[this.dtype], opts.scale);
    return out;
  }
  private castTo(x: CudaTensor, dtype: DType): CudaTensor {
    const out = this.alloc(x.shape, dtype);
    this.a.cast(out.ptr, DT[dtype], x.ptr, DT[x.dtype], x.size);
    return out;
  }
  attentionColumnMean(q: Tensor, k: Tensor, heads: number, scale: number, blocks = 1): Float32Array {
    return this.attentionColumnMeanFrames(q, k, blocks, heads, scale);
  }
  /** attentionColumnMean for `frames` independent equal blocks of rows (all frames of a video in one launch). */
  attentionColumnMeanFrames(q: Tensor, k: Tensor, frames: number, heads: number, scale: number): Float32Array {
    const qt = this.f32(q, 'attentionColumnMean'), kt = this.t(k);
    const d = this.checkHeads(qt, heads, heads);
    if (kt.cols !== qt.cols || qt.rows % frames || kt.rows % frames) throw new Error('attentionColumnMean: q/k shapes differ');
    const Tq = qt.rows / frames, Tk = kt.rows / frames;
    const out = this.alloc([frames * Tk]);
    this.a.colMeanSoftmax(out.ptr, qt.ptr, kt.ptr, DT[kt.dtype], kt.cols, frames, Tq, Tk, heads, heads, d, scale, -1);
    const host = this.toHost(out);
    this.dispose(out);
    return host;
  }

  // --- KV cache ------------------------------------------------------------------------------------------------
  createKvCache(layers: number, kvHeads: number, headDim: number, capacity: number): KvCache {
    const bytes = layers * capacity * kvHeads * headDim * BYTES[this.dtype];
    const k = this.a.alloc(bytes);
    let v: number;
    try { v = this.a.alloc(bytes); } catch (e) { this.a.free(k); throw e; }
    return new CudaKvCache(layers, kvHeads, headDim, capacity, this.dtype, k, v);
  }
  private cache(c: KvCache): CudaKvCache {
    if (!(c instanceof CudaKvCache)) throw new Error('CUDA backend got a KV cache from another backend');
    return c;
  }
  kvWrite(cache: KvCache, layer: number, k: Tensor, v: Tensor, at: number): void {
    const c = this.cache(cache), kt = this.f32(k, 'kvWrite'), vt = this.f32(v, 'kvWrite');
    if (kt.cols !== c.row || vt.cols !== c.row || kt.rows !== vt.rows) throw new Error('kvWrite: k/v rows do not match the cache');
    if (!(at >= 0 && at + kt.rows <= c.capacity)) throw new Error(`kvWrite: slots [${at}, ${at + kt.rows}) exceed capacity ${c.capacity}`);
    const off = c.layerOffset(layer);
    this.a.writeRows(c.k + off, DT[c.dtype], c.row, at, kt.ptr, kt.rows);
    this.a.writeRows(c.v + off, DT[c.dtype], c.row, at, vt.ptr, vt.rows);
  }
  kvAttention(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, opts: AttentionOptions): Tensor {
    const c = this.cache(cache), qt = this.f32(q, 'kvAttention');
    const d = this.checkHeads(qt, heads, c.kvHeads);
    if (d !== c.headDim) throw new Error(`kvAttention: head dim ${d} vs cache ${c.headDim}`);
    if (!(kvLen > 0 && kvLen <= c.capacity)) throw new Error(`kvAttention: kvLen ${kvLen} outside (0, ${c.capacity}]`);
    const off = c.layerOffset(layer);
    const out = this.alloc(qt.shape);
    const ps = opts.pageSlots;
    if (ps) {
      if (!(ps instanceof CudaPageSlots) || ps.table.cache !== c) throw new Error('kvAttention: pageSlots from another backend or cache');
      if (opts.slots) throw new Error('kvAttention: slots and pageSlots together');
      this.a.attentionDev(out.ptr, qt.ptr, qt.rows, heads, c.kvHeads, d, c.k + off, c.v + off, DT[c.dtype], c.row, kvLen,
        opts.scale, opts.causalBase ?? -1, ps.ptr, ps.count);
      return out;
    }
    this.a.attention(out.ptr, qt.ptr, qt.rows, heads, c.kvHeads, d, c.k + off, c.v + off, DT[c.dtype], c.row, kvLen,
      opts.scale, opts.causalBase ?? -1, opts.slots ?? null);
    return out;
  }
  kvPageTable(cache: KvCache, spec: PageTableSpec): PageTable {
    return new CudaPageTable(this.a, this.cache(cache), spec);
  }
  kvPageSelect(table: PageTable, layer: number, q: Tensor, heads: number, topPages: number, kvLen: number, scale: number): PageSlots {
    if (!(table instanceof CudaPageTable)) throw new Error('kvPageSelect: a page table from another backend');
    const qt = this.f32(q, 'kvPageSelect');
    if (qt.rows !== 1 || qt.cols !== heads * table.cache.headDim) throw new Error(`kvPageSelect: q ${JSON.stringify(qt.shape)} is not one row of ${heads}x${table.cache.headDim}`);
    return table.select(layer, qt.ptr, heads, topPages, kvLen, scale);
  }
  kvPageLog(table: PageTable): Int32Array {
    if (!(table instanceof CudaPageTable)) throw new Error('kvPageLog: a page table from another backend');
    return table.log();
  }
  disposePageTable(table: PageTable): void {
    if (table instanceof CudaPageTable) table.dispose();
  }
  kvScores(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): Float32Array {
    return this.kvScoresDeferred(cache, layer, q, heads, kvLen, candidates, opts)();
  }
  private checkedCandidates: { list: Int32Array | null; kvLen: number } = { list: null, kvLen: 0 };
  kvScoresDeferred(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): () => Float32Array {
    const c = this.cache(cache), qt = this.f32(q, 'kvScores');
    const d = this.checkHeads(qt, heads, c.kvHeads);
    if (!(kvLen > 0 && kvLen <= c.capacity)) throw new Error(`kvScores: kvLen ${kvLen} outside (0, ${c.capacity}]`);
    // Every layer of a question passes the same candidate array: check it once per (array, kvLen).
    if (this.checkedCandidates.list !== candidates || this.checkedCandidates.kvLen > kvLen) {
      for (let i = 0; i < candidates.length; i++) {
        const s = candidates[i];
        if (!(s >= 0 && s < kvLen)) throw new Error(`kvScores: candidate slot ${s} outside [0, ${kvLen})`);
      }
      this.checkedCandidates = { list: candidates, kvLen };
    }
    const off = c.layerOffset(layer);
    const col = this.alloc([kvLen]);
    this.a.colMeanSoftmax(col.ptr, qt.ptr, c.k + off, DT[c.dtype], c.row, 1, qt.rows, kvLen, heads, c.kvHeads, d,
      opts.scale, opts.causalBase ?? -1);
    const cand = candidates;
    let out: Float32Array | null = null;
    const row: DeviceScoreRow = { ptr: col.ptr, candidates: cand, live: true, free: () => this.dispose(col) };
    const get = () => {
      if (!out) {
        if (!row.live) throw new Error('kvScoresDeferred: these scores were ranked on the device (kvScoresTopK) and are gone');
        const all = this.toHost(col);
        this.dispose(col);
        row.live = false;
        out = new Float32Array(cand.length);
        for (let i = 0; i < cand.length; i++) out[i] = all[cand[i]];
      }
      return out;
    };
    this.deferredRows.set(get, row);
    return get;
  }
  kvCompact(cache: KvCache, keep: Int32Array): void {
    const c = this.cache(cache);
    for (let i = 0; i < keep.length; i++)
      if (!(keep[i] >= 0 && keep[i] < c.length) || (i && keep[i] <= keep[i - 1]))
        throw new Error('kvCompact: keep must be ascending, unique slots below the cache length');
    this.a.compactRows(c.k, DT[c.dtype], c.layers, c.capacity, c.row, keep);
    this.a.compactRows(c.v, DT[c.dtype], c.layers, c.capacity, c.row, keep);
    c.length = keep.length;
  }
  kvBytes(cache: KvCache, length: number): number {
    const c = this.cache(cache);
    return 2 * c.layers * length * c.row * BYTES[c.dtype];
  }
  disposeKvCache(cache: KvCache): void {
    const c = this.cache(cache);
    this.a.free(c.k);
    this.a.free(c.v);
  }
}

/** The CUDA backend when a GPU is usable, else null and the reason (for `--backend auto` and the settings UI). */
export function tryCudaBackend(kernels: Partial<KernelConfig> = {}): { backend: CudaBackend | null; message: string } {
  const st = loadAddon();
  if (!st.gpu) return { backend: null, message: st.message };
  try {
    return { backend: new CudaBackend(kernels), message: st.message };
  } catch (e) {
    return { backend: null, message: `no GPU, using CPU (${(e as Error).message})` };
  }
}
