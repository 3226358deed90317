// The CPU backend's saliency and retrieval scoring against the float64 references.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { kvScoresHost } from '../../../engine/core/sparse/kvScoresRef.ts';
import { naiveColumnMean, randomFloats } from './naive.ts';

const backend = new CpuBackend({ threads: 1 });

describe('CPU backend sparse ops vs references', () => {
  it('attentionColumnMean equals the naive full-matrix saliency', () => {
    const T = 81, heads = 3, d = 16;
    const q = randomFloats(T * heads * d, 31, 2);
    const k = randomFloats(T * heads * d, 32, 2);
    const scale = 1 / Math.sqrt(d);
    const got = backend.attentionColumnMean(backend.fromHost(q, [T, heads * d]), backend.fromHost(k, [T, heads * d]), heads, scale);
    const ref = naiveColumnMean(q, k, heads, d, scale);
    for (let j = 0; j < T; j++) expect(got[j]).toBeCloseTo(ref[j], 6);
  });

  it('kvScores equals the host reference (GQA, causal)', () => {
    const heads = 4, kvHeads = 2, d = 8, kvLen = 20, Tq = 5;
    const keys = randomFloats(32 * kvHeads * d, 41);
    const q = randomFloats(Tq * heads * d, 42, 2);
    const cache = backend.createKvCache(1, kvHeads, d, 32);
    const kt = backend.fromHost(keys.subarray(0, kvLen * kvHeads * d), [kvLen, kvHeads * d]);
    backend.kvWrite(cache, 0, kt, kt, 0);
    const cand = Int32Array.from([0, 3, 7, 15, 19]);
    const opts = { scale: 0.3, causalBase: kvLen - Tq };
    const got = backend.kvScores(cache, 0, backend.fromHost(q, [Tq, heads * d]), heads, kvLen, cand, opts);
    const ref = kvScoresHost({ q, keys, heads, kvHeads, headDim: d, kvLen, candidates: cand, ...opts });
    for (let i = 0; i < cand.length; i++) expect(got[i]).toBeCloseTo(ref[i], 6);
  });
});
