import { describe, expect, it } from 'vitest';
import { kvScoresHost } from '../../../engine/core/sparse/kvScoresRef.ts';
import { randomFloats } from './naive.ts';

describe('kvScoresHost (retrieval scoring math)', () => {
  it('matches a hand softmax for one row, one head', () => {
    const q = Float32Array.from([1, 0]);
    const keys = Float32Array.from([1, 0, 0, 1, 2, 0]); // 3 slots, d=2
    const got = kvScoresHost({ q, keys, heads: 1, kvHeads: 1, headDim: 2, kvLen: 3, candidates: Int32Array.from([2, 0]), scale: 1 });
    const e = [Math.exp(1), Math.exp(0), Math.exp(2)];
    const z = e[0] + e[1] + e[2];
    expect(got[0]).toBeCloseTo(e[2] / z, 6);
    expect(got[1]).toBeCloseTo(e[0] / z, 6);
  });

  it('shares kv heads across query-head groups (GQA == repeated kv heads)', () => {
    const d = 4, heads = 4, kvHeads = 2, kvLen = 9, Tq = 3;
    const q = randomFloats(Tq * heads * d, 3);
    const keys = randomFloats(kvLen * kvHeads * d, 4);
    const rep = new Float32Array(kvLen * heads * d);
    for (let j = 0; j < kvLen; j++) for (let h = 0; h < heads; h++) for (let c = 0; c < d; c++) {
      rep[j * heads * d + h * d + c] = keys[j * kvHeads * d + Math.floor(h / 2) * d + c];
    }
    const cand = Int32Array.from({ length: kvLen }, (_, i) => i);
    const a = kvScoresHost({ q, keys, heads, kvHeads, headDim: d, kvLen, candidates: cand, scale: 0.5, causalBase: 6 });
    const b = kvScoresHost({ q, keys: rep, heads, kvHeads: heads, headDim: d, kvLen, candidates: cand, scale: 0.5, causalBase: 6 });
    for (let i = 0; i < kvLen; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    // causal: row 0 sees slots 0..6, row 2 sees all 9; total mass per row is 1
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(a[8]).toBeGreaterThan(0);
    const rowsOnly0 = kvScoresHost({ q: q.subarray(0, heads * d), keys, heads, kvHeads, headDim: d, kvLen, candidates: cand, scale: 0.5, causalBase: 6 });
    expect(rowsOnly0[7]).toBe(0);
    expect(rowsOnly0[8]).toBe(0);
  });
});
