// The CUDA backend's 4-bit weights until packed W4A16 kernels take them: dequantized at load (awq-layout.ts, float32
// on the host) and uploaded like any weight, so they run on the compute dtype's GEMM / GEMV (same memory and speed
// as a 16-bit checkpoint; the numbers are the 4-bit model's).
import type { AwqPacked, HostTensorData, Tensor } from '../backend.ts';
import { dequantizeAwqPacked } from '../../checkpoint/awq-layout.ts';

export function dequantizedQ4Weight(p: AwqPacked, weight: (data: HostTensorData) => Tensor): Tensor {
  const w = dequantizeAwqPacked(p);
  return weight({ dtype: 'f32', shape: [p.out, p.in], bytes: new Uint8Array(w.buffer) });
}
