// Backend.weightQ4 on the CPU backend (onnxruntime MatMulNBits, or f32 dequantized for group sizes it does not take)
// against x · dequantize(W)ᵀ in float64 from awq-layout.ts's reference, on fresh random layers.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { dequantizeAwq, dequantizeAwqPacked, packAwq, unpackAwq } from '../../../engine/core/checkpoint/awq-layout.ts';
import { randomLayer } from './awq-random-layer.ts';
import { PrimitiveLayerOps } from '../../../engine/core/backend/layer-ops.ts';

function randomRows(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/** x [M, K] · Wᵀ + b in float64. */
function reference(x: Float32Array, M: number, w: Float32Array, N: number, K: number, b?: Float32Array): Float64Array {
  const y = new Float64Array(M * N);
  for (let r = 0; r < M; r++) {
    for (let n = 0; n < N; n++) {
      let acc = b ? b[n] : 0;
      for (let k = 0; k < K; k++) acc += x[r * K + k] * w[n * K + k];
      y[r * N + n] = acc;
    }
  }
  return y;
}

function maxRelErr(got: Float32Array, want: Float64Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) { err = Math.max(err, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
  return err / scale;
}

describe('4-bit weights on the CPU backend', () => {
  const be = new CpuBackend({ threads: 1 });
  it.each([
    ['MatMulNBits, group 128, one row (decode)', 40, 256, 128, 1],
    ['MatMulNBits, group 32, 3 groups per odd block count, 7 rows', 24, 96, 32, 7],
    ['MatMulNBits, group 16, 33 rows (prefill)', 16, 80, 16, 33],
    ['dequantized at load, group 24 (not a power of two)', 8, 72, 24, 5],
  ])('%s: matches x · dequantize(W)ᵀ + b within 1e-5 of the largest output', (_name, N, K, gs, M) => {
    const u = randomLayer(N, K, gs, N * 131 + K);
    const p = packAwq(u);
    const w = be.weightQ4(p);
    expect(w.shape).toEqual([N, K]);
    expect(w.dtype).toBe(gs === 24 ? 'f32' : 'q4');
    const x = randomRows(M * K, 3), b = randomRows(N, 9);
    const y = be.toHost(be.linear(be.fromHost(x, [M, K]), w, be.fromHost(b, [N])));
    const want = reference(x, M, dequantizeAwq(unpackAwq(p)), N, K, b);
    expect(maxRelErr(y, want)).toBeLessThan(1e-5);
  });

  it('dequantizeAwqPacked is bit-for-bit the unpacked reference', () => {
    const p = packAwq(randomLayer(48, 384, 128, 5));
    expect(Array.from(dequantizeAwqPacked(p))).toEqual(Array.from(dequantizeAwq(unpackAwq(p))));
  });

  it('runs through the layer composites (SwiGLU block with 4-bit gate / up / down)', () => {
    const H = 64, I = 96;
    const mk = (o: number, i: number, seed: number) => packAwq(randomLayer(o, i, 32, seed));
    const [pg, pu, pd] = [mk(I, H, 1), mk(I, H, 2), mk(H, I, 3)];
    const q4 = { gate: { w: be.weightQ4(pg) }, up: { w: be.weightQ4(pu) }, down: { w: be.weightQ4(pd) } };
    const f32 = (p: typeof pg) => ({ w: be.fromHost(dequantizeAwq(unpackAwq(p)), [p.out, p.in]) });
    const dense = { gate: f32(pg), up: f32(pu), down: f32(pd) };
    const ops = new PrimitiveLayerOps(be), x = be.fromHost(randomRows(3 * H, 4), [3, H]);
    const norm = { w: be.fromHost(new Float32Array(H).fill(1), [H]), eps: 1e-6 };
    const a = be.toHost(ops.residualSwiGlu({ h: x, normed: null }, norm, q4, null).h);
    const d = be.toHost(ops.residualSwiGlu({ h: x, normed: null }, norm, dense, null).h);
    expect(maxRelErr(a, Float64Array.from(d))).toBeLessThan(1e-5);
  });

  it('refuses a 4-bit weight anywhere but a linear', () => {
    const w = be.weightQ4(packAwq(randomLayer(8, 32, 16, 1)));
    expect(() => be.add(w, w)).toThrow(/4-bit weight can only be a linear layer's weight/);
  });
});
