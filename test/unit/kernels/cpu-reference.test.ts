// The addon's C++ CPU references (the GPU kernels' references) against naive materialized-softmax JS.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { maxRelErr, naiveAttention, naiveColMean, randn, rng } from './naive.ts';
import { dequantizeAwqPacked, packAwq } from '../../../engine/core/checkpoint/awq-layout.ts';

const status = loadAddon();
const addon = status.addon;
// The addon is built by `npm test`'s build step; only a machine without any C++ toolchain lacks it.
const describeAddon = addon ? describe : describe.skip;
if (!addon) console.warn(`kernels tests skipped: ${status.message}`);

describeAddon('addon CPU references vs naive JS', () => {
  const cases = [
    { name: 'SigLIP-like MHA', Tq: 37, Tk: 37, Hq: 3, Hkv: 3, d: 24, causal: -1 },
    { name: 'GQA, causal question over a cache', Tq: 5, Tk: 41, Hq: 6, Hkv: 2, d: 16, causal: 36 },
    { name: 'GQA 7:1, causal prefill', Tq: 19, Tk: 19, Hq: 7, Hkv: 1, d: 8, causal: 0 },
  ];

  for (const [n, c] of cases.entries()) {
    it(`streaming column mean of softmax: ${c.name}`, () => {
      const r = rng(100 + n);
      const q = randn(c.Tq * c.Hq * c.d, r, 2);
      const k = randn(c.Tk * c.Hkv * c.d, r, 2);
      const scale = 1 / Math.sqrt(c.d);
      const got = addon!.cpuColMeanSoftmax(q, k, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, scale, c.causal);
      const want = naiveColMean(q, k, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, scale, c.causal);
      expect(maxRelErr(got, want)).toBeLessThan(1e-5);
      // A mean of probability rows sums to 1.
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    });

    it(`attention over a selected slot set: ${c.name}`, () => {
      const r = rng(200 + n);
      const q = randn(c.Tq * c.Hq * c.d, r);
      const k = randn(c.Tk * c.Hkv * c.d, r);
      const v = randn(c.Tk * c.Hkv * c.d, r);
      const scale = 1 / Math.sqrt(c.d);
      // Every third slot plus slot 0 (always visible under the causal mask).
      const slots = Int32Array.from({ length: c.Tk }, (_, j) => j).filter((j) => j === 0 || j % 3 === 1);
      for (const sel of [undefined, slots]) {
        const got = addon!.cpuSlotAttention(q, k, v, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, scale, c.causal, sel ?? null);
        const want = naiveAttention(q, k, v, c.Tq, c.Tk, c.Hq, c.Hkv, c.d, scale, c.causal, sel);
        expect(maxRelErr(got, want)).toBeLessThan(1e-5);
      }
    });
  }

  it('top-k keeps the largest scores, ties to the lower index, ascending', () => {
    const scores = new Float32Array([0.1, 0.5, 0.3, 0.5, 0.9, 0.3, 0.0]);
    expect(Array.from(addon!.cpuTopk(scores, 3))).toEqual([1, 3, 4]);
    expect(Array.from(addon!.cpuTopk(scores, 5))).toEqual([1, 2, 3, 4, 5]);
    const r = rng(7);
    const big = randn(5000, r);
    const want = Array.from(big.keys()).sort((a, b) => big[b] - big[a] || a - b).slice(0, 700).sort((a, b) => a - b);
    expect(Array.from(addon!.cpuTopk(big, 700))).toEqual(want);
    expect(() => addon!.cpuTopk(scores, 8)).toThrow(/out of range/);
  });

  it('compaction moves kept rows to the front of every layer', () => {
    const layers = 3, cap = 10, row = 4;
    const base = Float32Array.from({ length: layers * cap * row }, (_, i) => i);
    const orig = base.slice();
    const keep = new Int32Array([0, 2, 3, 7, 9]);
    addon!.cpuCompactRows(base, layers, cap, row, keep);
    for (let l = 0; l < layers; l++)
      keep.forEach((src, dst) => {
        for (let c = 0; c < row; c++) expect(base[(l * cap + dst) * row + c]).toBe(orig[(l * cap + src) * row + c]);
      });
    expect(() => addon!.cpuCompactRows(base, layers, cap, row, new Int32Array([3, 2]))).toThrow(/ascending/);
  });

  it('cpuW4Linear (the 4-bit kernels\' reference) = x · dequantize(W)ᵀ on an AutoAWQ-packed weight', () => {
    const r = rng(7), M = 3, K = 256, N = 40, G = 64;
    const codes = Uint8Array.from({ length: N * K }, () => Math.floor(r() * 16));
    const zeros = Uint8Array.from({ length: (K / G) * N }, () => Math.floor(r() * 16));
    const scales = Float32Array.from({ length: (K / G) * N }, () => 0.005 + 0.02 * r());
    const p = packAwq({ out: N, in: K, groupSize: G, codes, zeros, scales });
    const wd = dequantizeAwqPacked(p);
    const x = randn(M * K, r, 2);
    const want = new Float32Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * wd[n * K + k];
      want[m * N + n] = s;
    }
    expect(maxRelErr(addon!.cpuW4Linear(x, M, K, p.qweight, p.qzeros, p.scales, N, G), want)).toBeLessThan(1e-6);
    expect(() => addon!.cpuW4Linear(x, M, K, p.qweight, p.qzeros, p.scales, 36, G)).toThrow(/N % 8/);
  });

  it('rejects malformed arguments with clear errors', () => {
    expect(() => addon!.cpuColMeanSoftmax(new Float32Array(3), new Float32Array(3), 2, 2, 1, 1, 2, 1, -1))
      .toThrow(/q has 3 elements, needs 4/);
    expect(() => addon!.cpuColMeanSoftmax(new Float32Array(12), new Float32Array(8), 2, 2, 3, 2, 2, 1, -1))
      .toThrow(/multiple of kvHeads/);
    expect(() => (addon as unknown as { cpuTopk(a: unknown, k: number): void }).cpuTopk([1, 2], 1))
      .toThrow(/Float32Array/);
  });
});
