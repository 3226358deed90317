import { describe, expect, it } from 'vitest';
import { compactPlan, decodeSlots, mergeAscending, planPrefix, type VideoSpan } from '../../../engine/core/sparse/layout.ts';

// prefix: 3 text rows, 2 frames of a 2x2 grid (8 visual rows 3..10), newline row 11, 2 text rows -> 14 rows
const span: VideoSpan = { start: 3, frames: 2, gridH: 2, gridW: 2, extra: 1 };

describe('prefix plan', () => {
  it('keeps original positions (gaps) and packs slots', () => {
    const p = planPrefix(14, span, Int32Array.from([1, 6]));
    expect(Array.from(p.rows)).toEqual([0, 1, 2, 4, 9, 11, 12, 13]);
    expect(Array.from(p.visualSlots)).toEqual([3, 4]);
    expect(Array.from(p.visualIds)).toEqual([1, 6]);
    expect(Array.from(p.nonVisualSlots)).toEqual([0, 1, 2, 5, 6, 7]);
    expect(p.nextPosition).toBe(14);
    expect(p.visualTotal).toBe(8);
  });

  it('with everything kept is the dense prompt', () => {
    const p = planPrefix(14, span, Int32Array.from({ length: 8 }, (_, i) => i));
    expect(Array.from(p.rows)).toEqual(Array.from({ length: 14 }, (_, i) => i));
  });

  it('rejects unsorted or out-of-range ids and a span that does not fit', () => {
    expect(() => planPrefix(14, span, Int32Array.from([6, 1]))).toThrow(/ascending/);
    expect(() => planPrefix(14, span, Int32Array.from([8]))).toThrow(/\[0, 8\)/);
    expect(() => planPrefix(10, span, new Int32Array(0))).toThrow(/does not fit/);
  });
});

describe('compaction and decode slots', () => {
  it('renumbers slots after permanent pruning', () => {
    const p = planPrefix(14, span, Int32Array.from([1, 2, 6]));
    const { plan, keepSlots } = compactPlan(p, Int32Array.from([2]));
    expect(Array.from(keepSlots)).toEqual([0, 1, 2, 4, 6, 7, 8]);
    expect(Array.from(plan.rows)).toEqual([0, 1, 2, 5, 11, 12, 13]);
    expect(Array.from(plan.visualSlots)).toEqual([3]);
    expect(Array.from(plan.visualIds)).toEqual([2]);
    expect(Array.from(plan.nonVisualSlots)).toEqual([0, 1, 2, 4, 5, 6]);
  });

  it('merges and extends slot lists', () => {
    expect(Array.from(mergeAscending(Int32Array.from([0, 4, 9]), Int32Array.from([2, 5])))).toEqual([0, 2, 4, 5, 9]);
    expect(Array.from(decodeSlots(Int32Array.from([0, 3]), 6, 9))).toEqual([0, 3, 6, 7, 8]);
  });
});
