// CPU backend ops against plain float64 references.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';

const be = new CpuBackend({ threads: 1 });

function rnd(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return (x / 4294967296) * 2 - 1;
  });
}

function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, Tq: number, Tk: number, H: number, Hkv: number,
  d: number, scale: number, visible: (i: number, j: number) => boolean): Float64Array {
  const out = new Float64Array(Tq * H * d);
  const g = H / Hkv;
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / g);
    for (let i = 0; i < Tq; i++) {
      const s: number[] = [];
      for (let j = 0; j < Tk; j++) {
        if (!visible(i, j)) { s.push(-Infinity); continue; }
        let a = 0;
        for (let x = 0; x < d; x++) a += q[i * H * d + h * d + x] * k[j * Hkv * d + kh * d + x];
        s.push(a * scale);
      }
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let x = 0; x < d; x++) {
        let a = 0;
        for (let j = 0; j < Tk; j++) a += (e[j] / z) * v[j * Hkv * d + kh * d + x];
        out[i * H * d + h * d + x] = a;
      }
    }
  }
  return out;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('CPU backend', () => {
  const H = 4, Hkv = 2, d = 8, Tq = 5, Tk = 11, scale = 0.35;
  const q = rnd(Tq * H * d, 1), k = rnd(Tk * Hkv * d, 2), v = rnd(Tk * Hkv * d, 3);
  const T = (x: Float32Array, r: number, c: number) => be.fromHost(x, [r, c]);

  it('attention: bidirectional and causal, with grouped-query heads', () => {
    const full = be.toHost(be.attention(T(q, Tq, H * d), T(k, Tk, Hkv * d), T(v, Tk, Hkv * d), H, Hkv, { scale }));
    expect(maxDiff(full, naiveAttention(q, k, v, Tq, Tk, H, Hkv, d, scale, () => true))).toBeLessThan(1e-5);
    const causal = be.toHost(be.attention(T(q, Tq, H * d), T(k, Tk, Hkv * d), T(v, Tk, Hkv * d), H, Hkv, { scale, causalBase: 6 }));
    expect(maxDiff(causal, naiveAttention(q, k, v, Tq, Tk, H, Hkv, d, scale, (i, j) => j <= 6 + i))).toBeLessThan(1e-5);
  });

  it('attention with blocks: each run of rows attends only within itself (vision frames)', () => {
    const n = 3, bt = 4, Hb = 2;
    const qb = rnd(n * bt * Hb * d, 11), kb = rnd(n * bt * Hb * d, 12), vb = rnd(n * bt * Hb * d, 13);
    const got = be.toHost(be.attention(T(qb, n * bt, Hb * d), T(kb, n * bt, Hb * d), T(vb, n * bt, Hb * d), Hb, Hb, { scale, blocks: n }));
    const ref = naiveAttention(qb, kb, vb, n * bt, n * bt, Hb, Hb, d, scale, (i, j) => Math.floor(i / bt) === Math.floor(j / bt));
    expect(maxDiff(got, ref)).toBeLessThan(1e-5);
    expect(() => be.attention(T(qb, n * bt, Hb * d), T(kb, n * bt, Hb * d), T(vb, n * bt, Hb * d), Hb, Hb, { scale, blocks: 5 }))
      .toThrow(/blocks/);
  });

  it('KV cache: write, attend over slots (causal by slot), compact', () => {
    const cache = be.createKvCache(2, Hkv, d, 16);
    be.kvWrite(cache, 1, T(k, Tk, Hkv * d), T(v, Tk, Hkv * d), 0);
    const slots = Int32Array.of(0, 2, 3, 7, 10);
    const got = be.toHost(be.kvAttention(cache, 1, T(q, Tq, H * d), H, Tk, { scale, causalBase: 6, slots }));
    const ref = naiveAttention(q, k, v, Tq, Tk, H, Hkv, d, scale, (i, j) => slots.includes(j) && j <= 6 + i);
    expect(maxDiff(got, ref)).toBeLessThan(1e-5);
    be.kvCompact(cache, slots);
    expect(cache.length).toBe(5);
    const dense = be.toHost(be.kvAttention(cache, 1, T(q, Tq, H * d), H, 5, { scale }));
    const ref2 = naiveAttention(q, k, v, Tq, Tk, H, Hkv, d, scale, (_, j) => slots.includes(j));
    expect(maxDiff(dense, ref2)).toBeLessThan(1e-5);
    expect(be.kvBytes(cache, 5)).toBe(5 * 2 * 2 * Hkv * d * 4);
    expect(() => be.kvWrite(cache, 0, T(k, Tk, Hkv * d), T(v, Tk, Hkv * d), 8)).toThrow(/KV cache full/);
  });

  it('bilinear resize follows PyTorch align_corners=False', () => {
    // One frame, 3x4 grid, 1 channel -> 2x2. Rows 3->2: weights (0.75,0.25),(0.25,0.75); cols 4->2: pair means.
    const x = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    const y = be.toHost(be.bilinearResize(be.fromHost(x, [12, 1]), 1, 3, 4, 2, 2));
    const row = (r: number) => [(x[r * 4] + x[r * 4 + 1]) / 2, (x[r * 4 + 2] + x[r * 4 + 3]) / 2];
    const r0 = row(0), r1 = row(1), r2 = row(2);
    const ref = [0.75 * r0[0] + 0.25 * r1[0], 0.75 * r0[1] + 0.25 * r1[1], 0.25 * r1[0] + 0.75 * r2[0], 0.25 * r1[1] + 0.75 * r2[1]];
    expect(maxDiff(y, ref)).toBeLessThan(1e-5);
  });

  it('rope (rotate-half), rmsNorm, layerNorm, gelu, siluMul, linear', () => {
    const x = rnd(3 * 2 * 4, 9);
    const inv = Float32Array.from([1, 0.01]);
    const pos = Int32Array.of(0, 5, 17);
    const r = be.toHost(be.rope(be.fromHost(x, [3, 8]), 2, pos, inv));
    for (let t = 0; t < 3; t++) for (let h = 0; h < 2; h++) for (let i = 0; i < 2; i++) {
      const o = t * 8 + h * 4, a = pos[t] * inv[i];
      expect(r[o + i]).toBeCloseTo(x[o + i] * Math.cos(a) - x[o + 2 + i] * Math.sin(a), 5);
      expect(r[o + 2 + i]).toBeCloseTo(x[o + 2 + i] * Math.cos(a) + x[o + i] * Math.sin(a), 5);
    }
    // An angle table with the same angles gives the same rows; other angles rotate by them.
    const table = Float32Array.from({ length: 6 }, (_, j) => Math.fround(pos[Math.floor(j / 2)] * inv[j % 2]));
    expect(Array.from(be.toHost(be.ropeAngles(be.fromHost(x, [3, 8]), 2, table)))).toEqual(Array.from(r));
    const ang = Float32Array.from([0.3, -2, 7, 1.5, 100, -0.25]);
    const ra = be.toHost(be.ropeAngles(be.fromHost(x, [3, 8]), 2, ang));
    for (let t = 0; t < 3; t++) for (let h = 0; h < 2; h++) for (let i = 0; i < 2; i++) {
      const o = t * 8 + h * 4, a = ang[t * 2 + i];
      expect(ra[o + i]).toBeCloseTo(x[o + i] * Math.cos(a) - x[o + 2 + i] * Math.sin(a), 5);
      expect(ra[o + 2 + i]).toBeCloseTo(x[o + 2 + i] * Math.cos(a) + x[o + i] * Math.sin(a), 5);
    }
    expect(() => be.ropeAngles(be.fromHost(x, [3, 8]), 2, new Float32Array(5))).toThrow(/5 angles for 3 rows of 2 frequencies/);
    const w = Float32Array.from([1, 2, 3, 4]);
    // Per-head norm: a weight of 2 over rows of 4 normalizes each run of 2 columns.
    const ph = be.toHost(be.rmsNorm(be.fromHost(Float32Array.from([3, 4, 1, 0]), [1, 4]), be.fromHost(Float32Array.from([1, 2]), [2]), 0));
    expect(maxDiff(ph, [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5), 1 / Math.sqrt(0.5), 0])).toBeLessThan(1e-6);
    const n = be.toHost(be.rmsNorm(be.fromHost(Float32Array.from([1, -1, 2, 0]), [1, 4]), be.fromHost(w, [4]), 1e-6));
    const rms = Math.sqrt((1 + 1 + 4) / 4 + 1e-6);
    expect(maxDiff(n, [1 / rms, -2 / rms, 6 / rms, 0])).toBeLessThan(1e-5);
    const ln = be.toHost(be.layerNorm(be.fromHost(Float32Array.from([1, 2, 3, 4]), [1, 4]), be.fromHost(w, [4]), be.fromHost(new Float32Array(4).fill(1), [4]), 1e-5));
    const sd = Math.sqrt(1.25 + 1e-5);
    expect(maxDiff(ln, [-1.5 / sd + 1, -1 / sd + 1, 1.5 / sd + 1, 6 / sd + 1])).toBeLessThan(1e-4);
    const g = be.toHost(be.gelu(be.fromHost(Float32Array.from([-1, 0.5, 2]), [1, 3]), 'tanh'));
    const gt = (z: number) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    expect(maxDiff(g, [gt(-1), gt(0.5), gt(2)])).toBeLessThan(1e-6);
    const ge = be.toHost(be.gelu(be.fromHost(Float32Array.from([-1, 1]), [1, 2]), 'erf'));
    expect(maxDiff(ge, [-0.15865525393145707, 0.8413447460685429])).toBeLessThan(1e-6);
    const sm = be.toHost(be.siluMul(be.fromHost(Float32Array.from([1, -2]), [1, 2]), be.fromHost(Float32Array.from([3, 4]), [1, 2])));
    expect(maxDiff(sm, [3 / (1 + Math.exp(-1)), 4 * -2 / (1 + Math.exp(2))])).toBeLessThan(1e-6);
    const lin = be.toHost(be.linear(be.fromHost(Float32Array.from([1, 2]), [1, 2]), be.fromHost(Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2]), be.fromHost(Float32Array.from([0, 1, 2]), [3])));
    expect([...lin]).toEqual([1, 3, 5]);
  });

  it('row ops: embed, gather, concat, slice', () => {
    const tab = be.fromHost(Float32Array.from([0, 0, 1, 1, 2, 2]), [3, 2]);
    expect([...be.toHost(be.embed(tab, Int32Array.of(2, 0)))]).toEqual([2, 2, 0, 0]);
    expect(() => be.embed(tab, Int32Array.of(3))).toThrow(/out of range/);
    expect([...be.toHost(be.gatherRows(tab, Int32Array.of(1)))]).toEqual([1, 1]);
    expect([...be.toHost(be.concatRows([tab, tab]))].length).toBe(12);
    expect([...be.toHost(be.sliceRows(tab, 1, 3))]).toEqual([1, 1, 2, 2]);
  });
});

describe('CpuBackend threads', () => {
  it('refuses a thread count below 1 with a clear message (not ORT\'s "intraOpNumThreads is invalid")', () => {
    expect(() => new CpuBackend({ threads: 0 })).toThrow('CPU thread count must be a whole number of at least 1, got 0');
    expect(() => new CpuBackend({ threads: -3 })).toThrow('got -3');
    const be = new CpuBackend({ threads: 1 });
    expect(be.device).toContain('1 of');
  });
});
