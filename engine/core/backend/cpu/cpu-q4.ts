// 4-bit linear weights on the CPU backend: onnxruntime's com.microsoft MatMulNBits (bits 4, block = the AWQ group,
// with zero points), the AutoAWQ layout repacked once at load into the operator's layout:
//   B           uint8 [N, K/block, block/2]  codes of output n along K, two per byte, the even k in the low nibble
//   scales      float [N, K/block]
//   zero_points uint8 [N, ceil((K/block)/2)] packed like B
// The weight and its constants are initializers of the tensor's own graph, so onnxruntime prepacks them once.
import type { AwqPacked, Tensor } from '../backend.ts';
import { f16ToF32 } from '../dtype.ts';
import { dequantizeAwqPacked, NIBBLE_OF_CHANNEL } from '../../checkpoint/awq-layout.ts';
import type { GraphSpec } from './onnx-proto.ts';
import { OrtGraph } from './ort-graphs.ts';

/** MatMulNBits takes power-of-two blocks of at least 16 inputs; other AWQ group sizes are dequantized at load. */
export function matMulNBitsFits(groupSize: number): boolean {
  return groupSize >= 16 && (groupSize & (groupSize - 1)) === 0;
}

/** accuracy_level 1: A stays float32 inside the operator (4: int8 activations, faster but off by ~1e-3). */
const ACCURACY_FP32 = 1;

export class CpuQ4Tensor implements Tensor {
  readonly dtype = 'q4' as const;
  readonly shape: readonly number[];
  constructor(readonly graph: OrtGraph, out: number, inF: number) {
    this.shape = [out, inF];
  }
}

/** MatMulNBits' B / scales / zero_points from the AutoAWQ arrays. */
export function repackForMatMulNBits(p: AwqPacked): { b: Uint8Array; scales: Float32Array; zeros: Uint8Array } {
  const { out: N, in: K, groupSize: bs } = p;
  const blocks = K / bs, words = N / 8, zRow = Math.ceil(blocks / 2);
  const b = new Uint8Array(N * K / 2);
  for (let k = 0; k < K; k++) {
    const shift = (k & 1) * 4, half = k >> 1;
    for (let c = 0; c < words; c++) {
      const q = p.qweight[k * words + c];
      for (let j = 0; j < 8; j++) b[(8 * c + j) * (K / 2) + half] |= ((q >>> (4 * NIBBLE_OF_CHANNEL[j])) & 15) << shift;
    }
  }
  const s16 = f16ToF32(p.scales), scales = new Float32Array(N * blocks);
  const zeros = new Uint8Array(N * zRow);
  for (let g = 0; g < blocks; g++) {
    for (let c = 0; c < words; c++) {
      const z = p.qzeros[g * words + c];
      for (let j = 0; j < 8; j++) {
        const n = 8 * c + j;
        scales[n * blocks + g] = s16[g * N + n];
        zeros[n * zRow + (g >> 1)] |= ((z >>> (4 * NIBBLE_OF_CHANNEL[j])) & 15) << ((g & 1) * 4);
      }
    }
  }
  return { b, scales, zeros };
}

export function matMulNBitsGraph(p: AwqPacked): GraphSpec {
  const { out: N, in: K, groupSize: bs } = p;
  const blocks = K / bs;
  const r = repackForMatMulNBits(p);
  return {
    nodes: [{
      op: 'MatMulNBits', domain: 'com.microsoft', inputs: ['x', 'B', 'scales', 'zero_points'], outputs: ['y'],
      attrs: { K, N, bits: 4, block_size: bs, accuracy_level: ACCURACY_FP32 },
    }],
    initializers: [
      { name: 'B', type: 'uint8', dims: [N, blocks, bs / 2], values: r.b },
      { name: 'scales', type: 'float', dims: [N, blocks], values: new Uint8Array(r.scales.buffer) },
      { name: 'zero_points', type: 'uint8', dims: [N, Math.ceil(blocks / 2)], values: r.zeros },
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['M', K] }],
    outputs: [{ name: 'y', type: 'float', dims: ['M', N] }],
    opsets: [{ domain: 'com.microsoft', version: 1 }],
  };
}

/** The CPU backend's weightQ4: a MatMulNBits graph, or (group sizes it does not take) the f32 dequantized weight. */
export function cpuWeightQ4(p: AwqPacked, threads: number): CpuQ4Tensor | Float32Array {
  if (!matMulNBitsFits(p.groupSize)) return dequantizeAwqPacked(p);
  return new CpuQ4Tensor(new OrtGraph(matMulNBitsGraph(p), threads), p.out, p.in);
}
