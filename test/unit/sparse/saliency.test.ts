import { describe, expect, it } from 'vitest';
import { attentionColumnMeanQueryBlocks, attentionColumnMeanStreaming } from '../../../engine/core/sparse/columnMean.ts';
import { bilinearResizeMaps, pooledGrid, tokenSaliencyFromPatches } from '../../../engine/core/sparse/tokenSaliency.ts';
import { naiveColumnMean, randomFloats } from './naive.ts';

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

describe('streaming patch saliency', () => {
  it.each([
    { T: 49, heads: 2, d: 8, block: 16, amp: 1 },
    { T: 100, heads: 3, d: 12, block: 7, amp: 3 },
    { T: 64, heads: 1, d: 16, block: 64, amp: 6 }, // peaked softmax: exercises the online max rescaling
    { T: 5, heads: 4, d: 4, block: 64, amp: 1 }, // one partial block
  ])('equals the naive float64 full-matrix computation (%o)', ({ T, heads, d, block, amp }) => {
    const q = randomFloats(T * heads * d, 1 + T, amp);
    const k = randomFloats(T * heads * d, 2 + T, amp);
    const scale = 1 / Math.sqrt(d);
    const got = attentionColumnMeanStreaming({ q, k, heads, headDim: d, scale, block });
    const ref = naiveColumnMean(q, k, heads, d, scale);
    expect(got.length).toBe(T);
    expect(maxRelDiff(got, ref)).toBeLessThan(1e-5);
    // Each query row's softmax sums to 1, so the column means sum to 1.
    expect(got.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    const fast = attentionColumnMeanQueryBlocks({ q, k, heads, headDim: d, scale, rowBlock: block });
    expect(maxRelDiff(fast, ref)).toBeLessThan(1e-5);
  });

  it('is not fooled by a planted salient key', () => {
    const T = 30, heads = 2, d = 8;
    const q = randomFloats(T * heads * d, 7, 0.2);
    const k = randomFloats(T * heads * d, 8, 0.2);
    for (let i = 0; i < T; i++) for (let c = 0; c < heads * d; c++) q[i * heads * d + c] = Math.abs(q[i * heads * d + c]) + 0.5;
    for (let c = 0; c < heads * d; c++) k[17 * heads * d + c] = 2; // aligned with every query
    const s = attentionColumnMeanStreaming({ q, k, heads, headDim: d, scale: 1 / Math.sqrt(d), block: 8 });
    const best = s.indexOf(Math.max(...s));
    expect(best).toBe(17);
  });

  it('rejects bad shapes', () => {
    expect(() => attentionColumnMeanStreaming({ q: new Float32Array(10), k: new Float32Array(12), heads: 2, headDim: 4, scale: 1 }))
      .toThrow(/multiples of heads\*headDim/);
  });
});

describe('token saliency pooling (bilinear, align_corners=false)', () => {
  it('uses LLaVA-OneVision video grid ceil(h/2) x ceil(w/2)', () => {
    expect(pooledGrid(27, 27)).toEqual({ h: 14, w: 14 });
    expect(pooledGrid(4, 5)).toEqual({ h: 2, w: 3 });
  });

  it('matches hand-computed torch.interpolate values for 3x3 -> 2x2', () => {
    // scale 1.5: dst 0 -> src max(0, -0.25 + 0.5*...)= 0.25, dst 1 -> 1.75 (same in x and y).
    const m = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const out = bilinearResizeMaps(m, 1, 3, 3, 2, 2);
    const at = (y: number, x: number) => y * 3 + x; // value equals index for this map, so the map is linear
    expect(Array.from(out)).toEqual([at(0.25, 0.25), at(0.25, 1.75), at(1.75, 0.25), at(1.75, 1.75)].map((v) => Math.fround(v)));
  });

  it('clamps the source index at the top-left edge (upsampling 2 -> 4)', () => {
    const out = bilinearResizeMaps([10, 20, 30, 40], 1, 2, 2, 4, 4);
    // src = 0.5*(dst+0.5)-0.5: dst0 -> -0.25 clamped to 0, dst1 -> 0.25, dst2 -> 0.75, dst3 -> 1.25 -> clamped neighbour
    expect(out[0]).toBeCloseTo(10, 6);
    expect(out[1]).toBeCloseTo(12.5, 6);
    expect(out[3]).toBeCloseTo(20, 6);
    expect(out[15]).toBeCloseTo(40, 6);
  });

  it('pools each frame separately and keeps the score mass ordering', () => {
    const frames = 2, h = 5, w = 5;
    const patch = new Float32Array(frames * h * w);
    patch[1 * 25 + 2 * 5 + 2] = 1; // centre patch of frame 1
    const tok = tokenSaliencyFromPatches(patch, frames, h, w);
    expect(tok.length).toBe(2 * 9);
    expect(Array.from(tok.subarray(0, 9)).every((v) => v === 0)).toBe(true);
    const f1 = Array.from(tok.subarray(9));
    expect(f1.indexOf(Math.max(...f1))).toBe(4); // the centre token of the 3x3 pooled grid
  });
});

describe('token pooling matches the model\'s feature pooling', () => {
  it('equals CpuBackend.bilinearResize on a one-channel map (27x27 -> 14x14)', async () => {
    const { CpuBackend } = await import('../../../engine/core/backend/cpu/cpu-backend.ts');
    const be = new CpuBackend({ threads: 1 });
    const frames = 2, g = 27;
    const map = randomFloats(frames * g * g, 77);
    const ours = tokenSaliencyFromPatches(map, frames, g, g);
    const theirs = be.toHost(be.bilinearResize(be.fromHost(map, [frames * g * g, 1]), frames, g, g, 14, 14));
    expect(ours.length).toBe(theirs.length);
    for (let i = 0; i < ours.length; i++) expect(ours[i]).toBeCloseTo(theirs[i], 5);
  });
});
