import { describe, expect, it } from 'vitest';
import { parseBenchConfigs } from '../../../engine/core/bench/config.ts';
import { keepCount, selectPrefillTokens, selectRetrieved, topKAscending } from '../../../engine/core/sparse/select.ts';

describe('keepCount', () => {
  it('is round((1 - s) * n)', () => {
    expect(keepCount(100, 0.75)).toBe(25);
    expect(keepCount(10, 0.9)).toBe(1);
    expect(keepCount(3, 0.5)).toBe(2); // 1.5 rounds up
    expect(keepCount(7, 0)).toBe(7);
    expect(keepCount(0, 0.5)).toBe(0);
  });
  it('rejects sparsity outside [0, 1)', () => {
    expect(() => keepCount(10, 1)).toThrow(/\[0, 1\)/);
    expect(() => keepCount(10, -0.1)).toThrow(/\[0, 1\)/);
    expect(() => keepCount(10, Number.NaN)).toThrow();
  });
});

describe('topKAscending', () => {
  it('takes the best scores, ties to the lower index, ascending output', () => {
    expect(Array.from(topKAscending([1, 5, 3, 5, 0], 2))).toEqual([1, 3]);
    expect(Array.from(topKAscending([2, 2, 2, 2], 3))).toEqual([0, 1, 2]);
    expect(Array.from(topKAscending([0, 9, 1, 8], 2))).toEqual([1, 3]);
    expect(Array.from(topKAscending([Number.NaN, -1, -2], 1))).toEqual([1]);
    expect(Array.from(topKAscending([1, 2], 5))).toEqual([0, 1]);
  });
});

describe('prefill pruning selection', () => {
  const frames = 3, tpf = 4;
  // frame 0 is the most salient everywhere; frame 2 the least
  const sal = Float32Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.25, 0.125]);

  it('keeps the global top round((1 - p) N)', () => {
    expect(Array.from(selectPrefillTokens(sal, { sparsity: 0.5, frames, tokensPerFrame: tpf }))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(selectPrefillTokens(sal, { sparsity: 0, frames, tokensPerFrame: tpf }).length).toBe(12);
  });

  it('gives every frame its floor, then fills the budget globally', () => {
    const kept = Array.from(selectPrefillTokens(sal, { sparsity: 0.5, frames, tokensPerFrame: tpf, perFrameFloor: 1 }));
    expect(kept).toEqual([0, 1, 2, 3, 4, 8]);
    const over = selectPrefillTokens(sal, { sparsity: 0.9, frames, tokensPerFrame: tpf, perFrameFloor: 2 });
    expect(Array.from(over)).toEqual([0, 1, 4, 5, 8, 9]); // floors exceed the budget of 1
  });

  it('rejects a score count that does not match the grid', () => {
    expect(() => selectPrefillTokens(sal, { sparsity: 0.5, frames: 2, tokensPerFrame: tpf })).toThrow(/12 saliency scores/);
  });
});

describe('retrieval selection', () => {
  it('returns selected candidate slots and the captured mass share', () => {
    const cand = Int32Array.from([10, 11, 12, 13]);
    const r = selectRetrieved(cand, [0.1, 0.4, 0.2, 0.3], 0.5);
    expect(Array.from(r.selected)).toEqual([11, 13]);
    expect(r.massShare).toBeCloseTo(0.7, 10);
    const all = selectRetrieved(cand, [0.1, 0.4, 0.2, 0.3], 0);
    expect(Array.from(all.selected)).toEqual([10, 11, 12, 13]);
    expect(all.massShare).toBe(1);
  });
});

describe('bench --configs', () => {
  it('parses dense, bare p:r and policy@p:r', () => {
    expect(parseBenchConfigs('dense,0.75:0.9,prefill-only@0.5,query-prune@0.75:0.9')).toEqual([
      { label: 'dense', policy: 'dense', prefillSparsity: 0, decodeSparsity: 0 },
      { label: 'sparsevila(0.75,0.9)', policy: 'sparsevila', prefillSparsity: 0.75, decodeSparsity: 0.9 },
      { label: 'prefill-only(0.5,0)', policy: 'prefill-only', prefillSparsity: 0.5, decodeSparsity: 0 },
      { label: 'query-prune(0.75,0.9)', policy: 'query-prune', prefillSparsity: 0.75, decodeSparsity: 0.9 },
    ]);
  });
  it('rejects nonsense', () => {
    expect(() => parseBenchConfigs('fast@0.5')).toThrow(/unknown policy/);
    expect(() => parseBenchConfigs('0.75:x')).toThrow(/not POLICY/);
    expect(() => parseBenchConfigs('1:0')).toThrow(/\[0, 1\)/);
    expect(() => parseBenchConfigs('')).toThrow(/empty/);
  });
});
