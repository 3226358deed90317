import { describe, expect, it } from 'vitest';
import { topKAscending } from '../../../engine/core/sparse/select.ts';

// The definition topKAscending must keep: order by score (NaN as -Infinity), ties to the lower position, first k, ascending.
function bySort(scores: ArrayLike<number>, k: number): number[] {
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => { const d = key(b) - key(a); return d > 0 ? 1 : d < 0 ? -1 : a - b; });
  return order.slice(0, Math.min(k, scores.length)).sort((a, b) => a - b);
}

describe('topKAscending (quickselect)', () => {
  it('matches the sort definition on random scores with ties, NaN, ±0 and ±Infinity', () => {
    let seed = 12345;
    const rand = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296; };
    const pool = [0, -0, 1, -1, 2, NaN, Infinity, -Infinity, 0.25];
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(rand() * (t % 4 === 0 ? 3000 : 50));
      const s = Float64Array.from({ length: n }, () => (rand() < 0.5 ? pool[Math.floor(rand() * pool.length)] : rand()));
      const k = Math.floor(rand() * (n + 2));
      expect(Array.from(topKAscending(s, k))).toEqual(bySort(s, k));
    }
  });
  it('keeps the lowest positions among equal scores', () => {
    expect(Array.from(topKAscending([1, 1, 1, 1, 1], 2))).toEqual([0, 1]);
    expect(Array.from(topKAscending([0, 5, 1, 5, 5], 2))).toEqual([1, 3]);
    expect(Array.from(topKAscending([NaN, -Infinity, NaN], 2))).toEqual([0, 1]);
    expect(topKAscending([3, 2], 0).length).toBe(0);
  });
});
