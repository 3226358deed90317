// Backend.weightI8 (W8A8 linears) on the CPU backend: each onnxruntime variant against the plain-JS reference
// (quantize/int8.ts) on fresh random inputs, the quantization error against the f32 linear, and the errors.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { CudaBackend } from '../../../engine/core/backend/cuda/cuda-backend.ts';
import { dequantizeI8, linearI8Reference, quantizeRowsI8, quantizeWeightI8, roundHalfEven } from '../../../engine/core/quantize/int8.ts';
import { seededRandom } from '../kernels/backend-ops-table.ts';

function maxRelErr(got: Float32Array, want: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) { err = Math.max(err, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
  return err / scale;
}

/** x · Wᵀ + b in float64 on the unquantized weight. */
function f32Linear(x: Float32Array, M: number, w: Float32Array, N: number, K: number, b: Float32Array): Float32Array {
  return Float32Array.from({ length: M * N }, (_, i) => {
    const m = Math.floor(i / N), n = i % N;
    let acc = b[n];
    for (let k = 0; k < K; k++) acc += x[m * K + k] * w[n * K + k];
    return acc;
  });
}

describe('int8 rows (quantize/int8.ts)', () => {
  it('rounds half to even, scales by max|row| / 127, and keeps an all-zero row at zero', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
    const { q, scales } = quantizeRowsI8(Float32Array.from([1.27, -0.635, 0, 0, 0, 0]), 2, 3);
    expect(Array.from(q)).toEqual([127, -64, 0, 0, 0, 0]);
    expect(scales[0]).toBeCloseTo(0.01, 7);
    expect(scales[1]).toBeGreaterThan(0);
    expect(() => quantizeRowsI8(Float32Array.from([1, NaN]), 1, 2)).toThrow(/non-finite/);
  });
});

describe('int8 weights on the CPU backend', () => {
  it.each([
    ['integer-to-float', 33, 96, 40],
    ['integer-to-float', 1, 128, 24],
    ['integer', 33, 96, 40],
    ['integer', 5, 72, 8],
    ['s8', 9, 64, 16],
  ] as const)('%s, %i x %i -> %i: matches the plain-JS W8A8 reference', (kernel, M, K, N) => {
    const rand = seededRandom(1000 * M + K + N + kernel.length);
    const be = new CpuBackend({ threads: 1, i8Kernel: kernel });
    const w = quantizeWeightI8(rand(N * K, 0.3), N, K);
    const x = rand(M * K, 2), b = rand(N, 0.5);
    x[3] = 7; // one outlier channel value
    const got = be.toHost(be.linear(be.fromHost(x, [M, K]), be.weightI8(w), be.fromHost(b, [N])));
    expect(maxRelErr(got, linearI8Reference(x, M, w, b))).toBeLessThan(1e-5);
    const noBias = be.toHost(be.linear(be.fromHost(x, [M, K]), be.weightI8(w)));
    expect(maxRelErr(noBias, linearI8Reference(x, M, w))).toBeLessThan(1e-5);
  });

  it('per-token int8 stays within 2% of the f32 linear; the per-tensor variant is measured, not equal', () => {
    const rand = seededRandom(7), M = 20, K = 128, N = 48;
    const wf = rand(N * K, 0.2), x = rand(M * K, 1), b = rand(N, 0.5);
    const want = f32Linear(x, M, wf, N, K, b);
    const w = quantizeWeightI8(wf, N, K);
    for (const kernel of ['integer-to-float', 'integer', 's8', 'per-tensor'] as const) {
      const be = new CpuBackend({ threads: 1, i8Kernel: kernel });
      const got = be.toHost(be.linear(be.fromHost(x, [M, K]), be.weightI8(w), be.fromHost(b, [N])));
      expect(maxRelErr(got, want)).toBeLessThan(0.02);
    }
    expect(maxRelErr(dequantizeI8(w), wf)).toBeLessThan(0.005);
  });

  it('goes through the LayerOps composites (linearGelu, linearAdd)', () => {
    const rand = seededRandom(3), be = new CpuBackend({ threads: 1 });
    const w = quantizeWeightI8(rand(16 * 32, 0.3), 16, 32), x = be.fromHost(rand(4 * 32), [4, 32]), bias = be.fromHost(rand(16, 0.1), [16]);
    const lin = be.linear(x, be.weightI8(w), bias);
    const res = be.fromHost(rand(4 * 16), [4, 16]);
    expect(be.toHost(be.layerOps.linearAdd(x, { w: be.weightI8(w), b: bias }, res))).toEqual(be.toHost(be.add(res, lin)));
    expect(be.toHost(be.layerOps.linearGelu(x, { w: be.weightI8(w), b: bias }, 'tanh'))).toEqual(be.toHost(be.gelu(lin, 'tanh')));
  });

  it('refuses malformed weights, mismatched inputs, and int8 weights as anything but a linear weight', () => {
    const be = new CpuBackend({ threads: 1 });
    expect(() => be.weightI8({ out: 4, in: 8, q: new Int8Array(31), scales: new Float32Array(4) })).toThrow(/31 codes, needs 32/);
    expect(() => be.weightI8({ out: 4, in: 8, q: new Int8Array(32), scales: new Float32Array(3) })).toThrow(/3 scales, needs 4/);
    const w = be.weightI8(quantizeWeightI8(new Float32Array(32).fill(0.1), 4, 8));
    expect(() => be.linear(be.fromHost(new Float32Array(14), [2, 7]), w)).toThrow(/x \[2, 7\] vs 8-bit weight \[4, 8\]/);
    expect(() => be.linear(be.fromHost(new Float32Array(16), [2, 8]), w, be.fromHost(new Float32Array(3), [3]))).toThrow(/bias has 3 values/);
    expect(() => be.add(w, w)).toThrow(/8-bit weight can only be a linear layer's weight/);
  });

  it('the CUDA backend refuses int8 weights with a clear error (not implemented there yet)', () => {
    const w = quantizeWeightI8(new Float32Array(32).fill(0.1), 4, 8);
    expect(() => CudaBackend.prototype.weightI8.call(null, w)).toThrow(/8-bit vision is not implemented on the CUDA backend yet/);
  });
});
