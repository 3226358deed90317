// The M-RoPE positions of a Qwen-VL prompt (HF get_rope_index): text rows count up by one in all three streams; a
// visual block starts at the next text position `base` and its token (ti, hi, wi) of the merged grid sits at
// (base + tOffset[ti], base + hi, base + wi); the text after a block continues one past the largest position used so
// far. Qwen2.5-VL puts a whole video in one block with tOffset[ti] = ti · second_per_grid_t · tokens_per_second
// (truncated); Qwen3-VL splits a video into one block per frame group (t = 1) separated by timestamp text.
// Rows after the prompt (decode, later turns) continue at `next` + (row - rows), which is HF's rope delta.
import type { MropePositions } from './mrope.ts';

/** One visual block of a prompt: its first row and its merged grid. */
export interface VisualBlock {
  start: number;
  t: number;
  h: number;
  w: number;
  /** Temporal position offset of each of the t frame groups (t entries). */
  tOffsets: Int32Array;
  /** Prefill pruning: the block's grid tokens (ascending indices into the t·h·w grid, frame-major) that are in the
   *  sequence; absent = all of them. */
  kept?: Int32Array;
}

/** Where a pruned block's tokens go: 'original' keeps each kept token's grid position (and the text after the block
 *  where it was); 'compact' rebuilds the minimal contiguous t/h/w grid of the kept tokens and shifts later text. */
export type PrunedPositions = 'original' | 'compact';

/** A patch grid (video_grid_thw row: frames / temporal_patch_size, height and width in patches). */
export interface PatchGrid {
  t: number;
  h: number;
  w: number;
}

function mergedSize(g: PatchGrid, merge: number, what: string): [number, number] {
  if (g.h % merge || g.w % merge) throw new Error(`${what}: grid ${g.h}x${g.w} is not divisible by the merge size ${merge}`);
  return [g.h / merge, g.w / merge];
}

/** Qwen2.5-VL: one block per video. `secondPerGrid`: the video's second_per_grid_ts entry. The product is taken in
 *  float32 and truncated, as torch does for (long range) · (float32 seconds) · (int tokens_per_second). */
export function qwen25VideoBlockGrid(g: PatchGrid, merge: number, secondPerGrid: number, tokensPerSecond: number):
  Omit<VisualBlock, 'start'> {
  const [h, w] = mergedSize(g, merge, 'video_grid_thw');
  const tOffsets = Int32Array.from({ length: g.t }, (_, i) => Math.trunc(Math.fround(Math.fround(i * Math.fround(secondPerGrid)) * tokensPerSecond)));
  return { t: g.t, h, w, tOffsets };
}

/** Qwen3-VL: one block per frame group (t = 1, offset 0); the timestamps between them are text. */
export function qwen3VideoBlockGrids(g: PatchGrid, merge: number): Omit<VisualBlock, 'start'>[] {
  const [h, w] = mergedSize(g, merge, 'video_grid_thw');
  return Array.from({ length: g.t }, () => ({ t: 1, h, w, tOffsets: new Int32Array(1) }));
}

/** Runs of consecutive rows whose flag is set (the video token rows: mm_token_type_ids 2, or ids equal to the video
 *  token id), in order. */
export function visualRuns(isVisual: (row: number) => boolean, rows: number): { start: number; length: number }[] {
  const runs: { start: number; length: number }[] = [];
  for (let i = 0; i < rows; i++) {
    if (!isVisual(i)) continue;
    const start = i;
    while (i + 1 < rows && isVisual(i + 1)) i++;
    runs.push({ start, length: i - start + 1 });
  }
  return runs;
}

/** Places block grids on the prompt's visual runs (one run per block, in order), checking the token counts. */
export function placeBlocks(runs: readonly { start: number; length: number }[], grids: readonly Omit<VisualBlock, 'start'>[]): VisualBlock[] {
  if (runs.length !== grids.length) {
    throw new Error(`the prompt has ${runs.length} runs of video tokens, the video grids describe ${grids.length} blocks`);
  }
  return grids.map((g, i) => {
    const n = g.kept ? g.kept.length : g.t * g.h * g.w;
    if (runs[i].length !== n) throw new Error(`video block ${i}: ${runs[i].length} video tokens in the prompt, its grid ${g.t}x${g.h}x${g.w} has ${n}`);
    return { ...g, start: runs[i].start };
  });
}

/** Positions of `rows` prompt rows with these visual blocks (ascending, not overlapping), and `next`: the position of
 *  the row after the prompt. */
export function ropeIndex(rows: number, blocks: readonly VisualBlock[], pruned: PrunedPositions = 'original'):
  { positions: MropePositions; next: number } {
  const t = new Int32Array(rows), h = new Int32Array(rows), w = new Int32Array(rows);
  let row = 0, next = 0;
  const text = (end: number) => {
    for (; row < end; row++) { t[row] = h[row] = w[row] = next; next++; }
  };
  for (const b of blocks) {
    if (b.start < row) throw new Error(`video blocks overlap or are out of order at row ${b.start}`);
    text(b.start);
    const area = b.h * b.w, all = b.t * area;
    const ids = b.kept ?? Int32Array.from({ length: all }, (_, i) => i);
    if (b.start + ids.length > rows) throw new Error(`video block at row ${b.start} (${ids.length} tokens) runs past the ${rows} rows`);
    const base = next;
    const ti = (k: number) => b.tOffsets[Math.floor(k / area)], hi = (k: number) => Math.floor(k / b.w) % b.h, wi = (k: number) => k % b.w;
    let maps: [(k: number) => number, (k: number) => number, (k: number) => number] = [ti, hi, wi];
    if (pruned === 'compact' && b.kept) maps = [denseRanks(ids, ti), denseRanks(ids, hi), denseRanks(ids, wi)];
    let top = -1;
    for (const k of ids) {
      if (k < 0 || k >= all) throw new Error(`video block at row ${b.start}: kept token ${k} outside its ${all}`);
      t[row] = base + maps[0](k); h[row] = base + maps[1](k); w[row] = base + maps[2](k);
      top = Math.max(top, t[row], h[row], w[row]);
      row++;
    }
    // The text after the block: one past the largest position (of the whole grid, unless it was compacted).
    const gridTop = base + Math.max(b.tOffsets[b.t - 1], b.h - 1, b.w - 1);
    next = (pruned === 'compact' && b.kept ? top : gridTop) + 1;
  }
  text(rows);
  return { positions: { t, h, w }, next };
}

/** A map from each kept token to the rank of its coordinate among the distinct coordinates kept (0, 1, 2, ...). */
function denseRanks(ids: Int32Array, coord: (k: number) => number): (k: number) => number {
  const values = [...new Set(Array.from(ids, coord))].sort((a, b) => a - b);
  const rank = new Map(values.map((v, i) => [v, i]));
  return (k) => rank.get(coord(k))!;
}
