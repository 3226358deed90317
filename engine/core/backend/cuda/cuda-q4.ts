// The CUDA backend's 4-bit weights (kernels/src/gpu_w4.h): the AutoAWQ layout uploaded once and repacked on the
// device into the decode GEMV's tiles (N*K/2 bytes) plus {scale, zero} pairs (N*(K/G)*4 bytes). Decode-sized inputs
// (<= 8 rows) run the 4-bit GEMV with its fused input transforms and epilogues; larger ones dequantize the weight
// into a temporary 16-bit matrix for the cuBLAS GEMM (O(N*K) next to the GEMM's O(M*N*K)). Shapes the tiles do not
// fit (N % 16, K % 64, group % 64) are dequantized at load instead (q4-dequantized.ts).
import type { AwqPacked, Tensor } from '../backend.ts';
import { DT, type KernelsAddon } from './addon.ts';
import type { CudaTensor } from './cuda-tensor.ts';

/** Activation rows the 4-bit GEMV takes (kernels/src/gpu_w4.h kW4MaxM). */
export const Q4_GEMV_MAX_ROWS = 8;

export class CudaQ4Tensor implements Tensor {
  readonly dtype = 'q4' as const;
  disposed = false;
  constructor(readonly shape: readonly [number, number], readonly groupSize: number, readonly w: number, readonly sz: number) {}
  get out(): number { return this.shape[0]; }
  get in(): number { return this.shape[1]; }
  /** Device bytes of the packed weight (codes + scale/zero pairs). */
  get bytes(): number { return (this.out * this.in) / 2 + this.out * (this.in / this.groupSize) * 4; }
}

/** Whether the 4-bit kernels take W [out, in] with this group size (gpu_w4.h w4Fits). */
export function q4Fits(out: number, inF: number, groupSize: number): boolean {
  return out > 0 && inF > 0 && out % 16 === 0 && inF % 64 === 0 && groupSize % 64 === 0 && inF % groupSize === 0;
}

/** Uploads the AutoAWQ tensors and repacks them on the device (the staging buffers are freed again). */
export function uploadQ4(a: KernelsAddon, p: AwqPacked): CudaQ4Tensor {
  const { out, in: inF, groupSize } = p;
  const w = a.alloc((out * inF) / 2), sz = a.alloc(out * (inF / groupSize) * 4);
  const staged: number[] = [];
  try {
    for (const arr of [p.qweight, p.qzeros, p.scales]) {
      const d = a.alloc(arr.byteLength);
      staged.push(d);
      a.upload(d, arr);
    }
    a.w4Repack(w, sz, staged[0], staged[1], staged[2], out, inF, groupSize);
  } catch (e) {
    a.free(w); a.free(sz);
    throw e;
  } finally {
    for (const d of staged) a.free(d);
  }
  return new CudaQ4Tensor([out, inF], groupSize, w, sz);
}

/** A GEMV output: the weight, optional bias / residual (f32 device tensors) and where it goes. */
export interface Q4Out {
  w: CudaQ4Tensor;
  b?: CudaTensor | null;
  res?: CudaTensor | null;
  out: number;
}

/** out_i = in(x) · W_iᵀ (+ b_i) (+ res_i) in one launch; mode as the 16-bit GEMV (0 plain, 1 RMSNorm, 2 SiLU·mul,
 *  | 4 GLU with two outputs). x [M <= 8, K] f32; actDt: the 16-bit dtype x is rounded to for the tensor cores. */
export function gemvQ4(a: KernelsAddon, x: CudaTensor, actDt: 'bf16' | 'f16', mode: number, aux: CudaTensor | null,
  eps: number, outs: readonly Q4Out[]): void {
  const g = outs[0].w.groupSize;
  const segs = new Float64Array(7 * outs.length);
  outs.forEach((o, i) => {
    if (o.w.in !== x.cols || o.w.groupSize !== g) throw new Error(`gemvQ4: weight [${o.w.shape}] g${o.w.groupSize} vs x [${x.shape}] g${g}`);
    segs.set([o.w.w, o.w.sz, o.b ? o.b.ptr : 0, o.b ? DT[o.b.dtype] : 0, o.res ? o.res.ptr : 0, o.out, o.w.out], 7 * i);
  });
  a.gemvW4(x.rows, x.cols, g, DT[actDt], x.ptr, mode, aux ? aux.ptr : 0, eps, segs);
}
