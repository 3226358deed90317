// M-RoPE streams and Qwen-VL prompt positions (HF get_rope_index semantics) on hand-worked examples; HF's own
// position_ids are checked against these functions in qwen-vl-parity.test.ts (fixtures made by transformers).
import { describe, expect, it } from 'vitest';
import { mropeAngles, mropeStreams, textPositions } from '../../../engine/core/models/mrope.ts';
import {
  keptPerBlock, placeBlocks, qwen25VideoBlockGrid, qwen3VideoBlockGrids, ropeIndex, visualRuns,
} from '../../../engine/core/models/qwen-vl-positions.ts';

const arr = (a: Int32Array) => Array.from(a);

describe('M-RoPE frequency streams', () => {
  it('chunked (Qwen2.5-VL [16, 24, 24]): t, then h, then w', () => {
    const s = mropeStreams({ section: [16, 24, 24], layout: 'chunked' }, 64);
    expect(arr(Int32Array.from(s))).toEqual([...Array(16).fill(0), ...Array(24).fill(1), ...Array(24).fill(2)]);
  });
  it('interleaved (Qwen3-VL [24, 20, 20]): t h w repeated over 60 frequencies, then t', () => {
    const s = mropeStreams({ section: [24, 20, 20], layout: 'interleaved' }, 64);
    expect(Array.from(s.subarray(0, 9))).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(Array.from(s.subarray(57))).toEqual([0, 1, 2, 0, 0, 0, 0]);
    expect(s.filter((x) => x === 1).length).toBe(20);
    expect(s.filter((x) => x === 2).length).toBe(20);
  });
  it('refuses a section that does not add up to head_dim / 2', () => {
    expect(() => mropeStreams({ section: [16, 24, 20], layout: 'chunked' }, 64)).toThrow(/adds up to 60, head dim needs 64/);
  });
  it('on text rows the angle table is plain RoPE', () => {
    const inv = Float32Array.from({ length: 8 }, (_, i) => 1 / 10000 ** (i / 8));
    const { angles } = mropeAngles(textPositions(5, 3), inv, mropeStreams({ section: [2, 3, 3], layout: 'interleaved' }, 8));
    for (let r = 0; r < 3; r++) for (let i = 0; i < 8; i++) expect(angles[r * 8 + i]).toBe(Math.fround((5 + r) * inv[i]));
  });
});

describe('Qwen-VL prompt positions', () => {
  it('Qwen2.5-VL: a video block at the next text position, time scaled, text after it past the spatial extent', () => {
    // 3 text rows, a 2x4x4 patch grid merged by 2 (2 frame groups of 2x2 tokens), 1 s per group at 2 tokens/s, 2 text rows.
    const grid = qwen25VideoBlockGrid({ t: 2, h: 4, w: 4 }, 2, 1, 2);
    expect(arr(grid.tOffsets)).toEqual([0, 2]);
    const { positions: p, next } = ropeIndex(13, placeBlocks([{ start: 3, length: 8 }], [grid]));
    expect(arr(p.t)).toEqual([0, 1, 2, 3, 3, 3, 3, 5, 5, 5, 5, 5, 6]);
    expect(arr(p.h)).toEqual([0, 1, 2, 3, 3, 4, 4, 3, 3, 4, 4, 5, 6]);
    expect(arr(p.w)).toEqual([0, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4, 5, 6]);
    expect(next).toBe(7);
  });
  it('Qwen2.5-VL: a prompt ending in a block: text continues past its spatial extent, generation past its time', () => {
    // 2 text rows, 3 groups of 2x2 tokens 5 s apart at 2 tokens/s (offsets 0, 10, 20).
    const grid = qwen25VideoBlockGrid({ t: 3, h: 4, w: 4 }, 2, 5, 2);
    const r = ropeIndex(14, [{ ...grid, start: 2 }]);
    expect(Array.from(r.positions.t.subarray(2))).toEqual([2, 2, 2, 2, 12, 12, 12, 12, 22, 22, 22, 22]);
    expect(r.next).toBe(4);
    expect(r.maxPosition).toBe(22);
  });
  it('Qwen2.5-VL: seconds per group are truncated to an integer before scaling (as transformers 5.17 does)', () => {
    expect(arr(qwen25VideoBlockGrid({ t: 3, h: 2, w: 2 }, 2, 1.5, 2).tOffsets)).toEqual([0, 2, 4]);
    expect(arr(qwen25VideoBlockGrid({ t: 3, h: 2, w: 2 }, 2, 0.75, 2).tOffsets)).toEqual([0, 0, 0]);
  });
  it('Qwen3-VL: one block per frame group, timestamps between them as text', () => {
    // <t0> [2x2 tokens] <t1> [2x2 tokens]: each group starts at the next text position with t offset 0.
    const isVideo = (r: number) => (r >= 1 && r < 5) || (r >= 6 && r < 10);
    const blocks = placeBlocks(visualRuns(isVideo, 11), qwen3VideoBlockGrids({ t: 2, h: 4, w: 4 }, 2));
    const { positions: p, next } = ropeIndex(11, blocks);
    expect(arr(p.t)).toEqual([0, 1, 1, 1, 1, 3, 4, 4, 4, 4, 6]);
    expect(arr(p.h)).toEqual([0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6]);
    expect(arr(p.w)).toEqual([0, 1, 2, 1, 2, 3, 4, 5, 4, 5, 6]);
    expect(next).toBe(7);
  });
  it('pruned tokens keep their grid positions and later text stays where it was (original)', () => {
    const grid = qwen25VideoBlockGrid({ t: 2, h: 4, w: 4 }, 2, 1, 2);
    const kept = Int32Array.of(1, 6);
    const { positions: p, next } = ropeIndex(13, [{ ...grid, kept, start: 3 }]);
    expect([arr(p.t), arr(p.h), arr(p.w)]).toEqual([[0, 1, 2, 3, 5, 5, 6], [0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 4, 3, 5, 6]]);
    expect(next).toBe(7);
  });
  it('compact: the kept tokens on the minimal contiguous grid, later text shifted', () => {
    const grid = qwen25VideoBlockGrid({ t: 2, h: 4, w: 4 }, 2, 1, 2);
    const kept = Int32Array.of(1, 6);  // (t 0, h 0, w 1) and (t 2, h 1, w 0): ranks t 0/1, h 0/1, w 1/0
    const { positions: p, next } = ropeIndex(13, [{ ...grid, kept, start: 3 }], 'compact');
    expect([arr(p.t), arr(p.h), arr(p.w)]).toEqual([[0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 4, 3, 5, 6]]);
    expect(next).toBe(7);
    // Three kept tokens over 2 rows x 1 column of the merged grid: the text follows the compact grid's extent (2).
    const three = ropeIndex(13, [{ ...grid, kept: Int32Array.of(0, 2, 4), start: 3 }], 'compact');
    expect(arr(three.positions.t)).toEqual([0, 1, 2, 3, 3, 4, 5, 6]);
    expect(arr(three.positions.h)).toEqual([0, 1, 2, 3, 4, 3, 5, 6]);
  });
  it('a frame group with no kept token leaves no rows; original keeps later positions, compact closes the gap', () => {
    const grids = qwen3VideoBlockGrids({ t: 2, h: 4, w: 4 }, 2);
    const isVideo = (r: number) => (r >= 1 && r < 5) || (r >= 6 && r < 10);
    const placed = placeBlocks(visualRuns(isVideo, 11), grids);
    const [k0, k1] = keptPerBlock(grids, Int32Array.of(5, 7));
    expect([arr(k0), arr(k1)]).toEqual([[], [1, 3]]);
    const blocks = placed.map((b, i) => ({ ...b, kept: [k0, k1][i] }));
    const orig = ropeIndex(11, blocks);
    expect(arr(orig.positions.t)).toEqual([0, 3, 4, 4, 6]);
    expect(arr(orig.positions.w)).toEqual([0, 3, 5, 5, 6]);
    const compact = ropeIndex(11, blocks, 'compact');
    expect(arr(compact.positions.t)).toEqual([0, 1, 2, 2, 4]);
    expect(arr(compact.positions.h)).toEqual([0, 1, 2, 3, 4]);
    expect(compact.next).toBe(5);
    expect(() => keptPerBlock(grids, Int32Array.of(8))).toThrow(/outside the 8 video tokens/);
  });
  it('names what does not match', () => {
    expect(() => placeBlocks([{ start: 0, length: 3 }], [qwen25VideoBlockGrid({ t: 1, h: 4, w: 4 }, 2, 1, 2)]))
      .toThrow(/3 video tokens in the prompt, its grid 1x2x2 has 4/);
    expect(() => placeBlocks([], qwen3VideoBlockGrids({ t: 2, h: 2, w: 2 }, 2))).toThrow(/0 runs of video tokens.*2 blocks/);
    expect(() => qwen3VideoBlockGrids({ t: 1, h: 3, w: 4 }, 2)).toThrow(/not divisible by the merge size 2/);
  });
});
