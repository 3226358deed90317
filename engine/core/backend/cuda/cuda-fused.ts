// Decode kernels of the CUDA backend (engine/core/backend/fused-layer-ops.ts DecodeKernels, and greedy argmax) on the GEMV kernel (kernels/src/gpu_gemv.cu):
// RMSNorm folded into the q/k/v (or gate/up) GEMV, SiLU·mul into the down projection's input read, residual adds
// and biases into the GEMV epilogue, gate/up/SiLU·mul into one GEMV (GLU epilogue), RoPE + KV write in one launch.
// A layer's decode step is 5 launches instead of ~25.
import type { DeviceSampler, KvCache, RopePositions, Tensor } from '../backend.ts';
import type { DecodeKernels } from '../fused-layer-ops.ts';
import { DT, type KernelsAddon } from './addon.ts';
import type { CudaKvCache, CudaTensor } from './cuda-tensor.ts';
import type { DeviceArrays } from './device-arrays.ts';
import { CudaQ4Tensor, gemvQ4, Q4_GEMV_MAX_ROWS, type Q4Out } from './cuda-q4.ts';

const MAX_ROWS = 4, MAX_OUTPUTS = 4;
const MODE = { plain: 0, rmsNorm: 1, siluMul: 2, glu: 4 } as const;

export class CudaFusedOps implements DecodeKernels, DeviceSampler {
  constructor(private a: KernelsAddon, private arrays: DeviceArrays, private alloc: (shape: readonly number[]) => CudaTensor,
    private t: (x: Tensor) => CudaTensor, private cache: (c: KvCache) => CudaKvCache,
    private actDt: 'bf16' | 'f16') {}

  /** The 4-bit weights, when every one of ws is 4-bit with x's K and one group size and x fits the 4-bit GEMV. */
  private q4(x: CudaTensor, ws: readonly Tensor[]): CudaQ4Tensor[] | null {
    if (!ws.length || !ws.every((w) => w instanceof CudaQ4Tensor)) return null;
    const q = ws as CudaQ4Tensor[];
    if (x.dtype !== 'f32' || x.rows > Q4_GEMV_MAX_ROWS || x.ptr % 16 || q.some((w) => w.disposed || w.in !== x.cols || w.groupSize !== q[0].groupSize)) return null;
    return q;
  }
  private runQ4(x: CudaTensor, mode: number, aux: CudaTensor | null, eps: number, outs: Q4Out[]): void {
    gemvQ4(this.a, x, this.actDt, mode, aux, eps, outs);
  }

  /** The input x [M, K] and weights w [N, K] fit the kernel. */
  private fits(x: CudaTensor, ws: readonly CudaTensor[]): boolean {
    const K = x.cols;
    if (x.dtype !== 'f32' || x.rows < 1 || x.rows > MAX_ROWS || K % 8 || x.ptr % 16) return false;
    const wdt = ws[0].dtype;
    return ws.every((w) => w.shape.length === 2 && w.shape[1] === K && w.dtype === wdt && (wdt === 'bf16' || wdt === 'f16') && w.ptr % 16 === 0);
  }

  private run(x: CudaTensor, mode: number, aux: CudaTensor | null, eps: number, ws: readonly CudaTensor[],
    bs: readonly (CudaTensor | null)[], res: CudaTensor | null): CudaTensor[] {
    const M = x.rows, outs = ws.map((w) => this.alloc([M, w.shape[0]]));
    const segs = new Float64Array(6 * ws.length);
    ws.forEach((w, i) => {
      const b = bs[i];
      segs.set([w.ptr, b ? b.ptr : 0, b ? DT[b.dtype] : 0, res ? res.ptr : 0, outs[i].ptr, w.shape[0]], 6 * i);
    });
    this.a.gemv(M, x.cols, DT[ws[0].dtype], x.ptr, mode, aux ? aux.ptr : 0, DT.f32, eps, segs);
    return outs;
  }

  normLinears(x: Tensor, normW: Tensor, eps: number, ws: readonly Tensor[], bs: readonly (Tensor | undefined)[]): Tensor[] | null {
    const q = this.q4(this.t(x), ws);
    if (q) {
      const xt = this.t(x), nt = this.t(normW);
      if (q.length > MAX_OUTPUTS || nt.dtype !== 'f32' || nt.size !== xt.cols || nt.ptr % 16) return null;
      const outs = q.map((w) => this.alloc([xt.rows, w.out]));
      this.runQ4(xt, MODE.rmsNorm, nt, eps, q.map((w, i) => { const b = bs[i]; return { w, b: b ? this.t(b) : null, out: outs[i].ptr }; }));
      return outs;
    }
    const xt = this.t(x), nt = this.t(normW);
    if (ws.some((w) => w instanceof CudaQ4Tensor)) return null;
    const wt = ws.map((w) => this.t(w));
    if (!wt.length || wt.length > MAX_OUTPUTS || !this.fits(xt, wt) || nt.dtype !== 'f32' || nt.size !== xt.cols) return null;
    const bt = ws.map((_, i) => { const b = bs[i]; return b ? this.t(b) : null; });
    if (bt.some((b, i) => b && b.size !== wt[i].shape[0])) throw new Error('normLinears: a bias does not match its weight');
    return this.run(xt, MODE.rmsNorm, nt, eps, wt, bt, null);
  }

  normSwiGlu(x: Tensor, normW: Tensor, eps: number, gate: Tensor, up: Tensor): Tensor | null {
    const q = this.q4(this.t(x), [gate, up]);
    if (q) {
      const xt = this.t(x), nt = this.t(normW);
      if (nt.dtype !== 'f32' || nt.size !== xt.cols || nt.ptr % 16 || q[0].out !== q[1].out) return null;
      const out = this.alloc([xt.rows, q[0].out]);
      this.runQ4(xt, MODE.rmsNorm | MODE.glu, nt, eps, [{ w: q[0], out: out.ptr }, { w: q[1], out: 0 }]);
      return out;
    }
    if (gate instanceof CudaQ4Tensor || up instanceof CudaQ4Tensor) return null;
    const xt = this.t(x), nt = this.t(normW), gt = this.t(gate), ut = this.t(up);
    if (!this.fits(xt, [gt, ut]) || nt.dtype !== 'f32' || nt.size !== xt.cols || gt.shape[0] !== ut.shape[0]) return null;
    const N = gt.shape[0], out = this.alloc([xt.rows, N]);
    const segs = new Float64Array([gt.ptr, 0, 0, 0, out.ptr, N, ut.ptr, 0, 0, 0, 0, N]);
    this.a.gemv(xt.rows, xt.cols, DT[gt.dtype], xt.ptr, MODE.rmsNorm | MODE.glu, nt.ptr, DT.f32, eps, segs);
    return out;
  }

  linearResidual(x: Tensor, w: Tensor, res: Tensor): Tensor | null {
    const q = this.q4(this.t(x), [w]);
    if (q) {
      const xt = this.t(x), rt = this.t(res);
      if (rt.dtype !== 'f32' || rt.size !== xt.rows * q[0].out) return null;
      const out = this.alloc([xt.rows, q[0].out]);
      this.runQ4(xt, MODE.plain, null, 0, [{ w: q[0], res: rt, out: out.ptr }]);
      return out;
    }
    if (w instanceof CudaQ4Tensor) return null;
    const xt = this.t(x), wt = this.t(w), rt = this.t(res);
    if (!this.fits(xt, [wt]) || rt.dtype !== 'f32' || rt.size !== xt.rows * wt.shape[0]) return null;
    return this.run(xt, MODE.plain, null, 0, [wt], [null], rt)[0];
  }

  siluMulLinearResidual(gate: Tensor, up: Tensor, w: Tensor, res: Tensor): Tensor | null {
    const q = this.q4(this.t(gate), [w]);
    if (q) {
      const gt = this.t(gate), ut = this.t(up), rt = this.t(res);
      if (ut.dtype !== 'f32' || ut.size !== gt.size || ut.ptr % 16 || rt.dtype !== 'f32' || rt.size !== gt.rows * q[0].out) return null;
      const out = this.alloc([gt.rows, q[0].out]);
      this.runQ4(gt, MODE.siluMul, ut, 0, [{ w: q[0], res: rt, out: out.ptr }]);
      return out;
    }
    if (w instanceof CudaQ4Tensor) return null;
    const gt = this.t(gate), ut = this.t(up), wt = this.t(w), rt = this.t(res);
    if (!this.fits(gt, [wt]) || ut.dtype !== 'f32' || ut.size !== gt.size || ut.ptr % 16) return null;
    if (rt.dtype !== 'f32' || rt.size !== gt.rows * wt.shape[0]) return null;
    return this.run(gt, MODE.siluMul, ut, 0, [wt], [null], rt)[0];
  }

  argmaxRows(x: Tensor): Int32Array | null {
    const xt = this.t(x);
    if (xt.dtype !== 'f32' || typeof this.a.argmaxRows !== 'function') return null;
    return this.a.argmaxRows(xt.ptr, xt.rows, xt.cols);
  }

  ropeKvWrite(cache: KvCache, layer: number, q: Tensor, k: Tensor, v: Tensor, heads: number, rope: RopePositions,
    at: number): Tensor | null {
    const c = this.cache(cache), qt = this.t(q), kt = this.t(k), vt = this.t(v);
    const T = qt.rows, d = c.headDim;
    if (T > MAX_ROWS || qt.dtype !== 'f32' || kt.dtype !== 'f32' || vt.dtype !== 'f32') return null;
    if (qt.cols !== heads * d || kt.cols !== c.row || vt.cols !== c.row || kt.rows !== T || vt.rows !== T)
      throw new Error('ropeKvWrite: q/k/v shapes do not match the cache');
    const r = this.arrays.rope('ropeKvWrite', rope, T, d);
    if (!(at >= 0 && at + T <= c.capacity)) throw new Error(`ropeKvWrite: slots [${at}, ${at + T}) exceed capacity ${c.capacity}`);
    const inv = r.invFreq ? this.arrays.get(r.invFreq).ptr : 0;
    const off = c.layerOffset(layer), out = this.alloc(qt.shape);
    this.a.ropeKvWrite(out.ptr, qt.ptr, kt.ptr, vt.ptr, T, heads, c.kvHeads, d, r.positions, inv, c.k + off, c.v + off,
      DT[c.dtype], at, r.angles);
    return out;
  }
}
