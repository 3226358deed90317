// The M-RoPE positions of a Qwen-VL prompt (HF get_rope_index, transformers 5.17): text rows count up by one in all
// three streams; a visual block starts at the next text position `base` and its token (ti, hi, wi) of the merged grid
// sits at (base + tOffset[ti], base + hi, base + wi); the text after a block continues at base + max(merged h, merged w)
// (the temporal extent does not count there). Qwen2.5-VL puts a whole video in one block with tOffset[ti] =
// ti · tokens_per_second · int(second_per_grid_t); Qwen3-VL splits a video into one block per frame group (t = 1)
// separated by timestamp text. Text that continues the prompt (a question) follows at `next`; generated rows (HF's
// cache_position + rope delta) at one past the largest position of any stream, plus their distance from it.
import type { MropePositions } from './mrope.ts';
import type { VisionGrid } from './qwen-vision-grid.ts';

/** One visual block of a prompt: its first row and its merged grid. */
export interface VisualBlock {
  start: number;
  t: number;
  h: number;
  w: number;
  /** Temporal position offset of each of the t frame groups (t entries). */
  tOffsets: Int32Array;
  /** Prefill pruning: the block's grid tokens (ascending indices into the t·h·w grid, frame-major) that stay in the
   *  sequence; absent = all of them. */
  kept?: Int32Array;
}

/** Where a pruned block's tokens go: 'original' keeps each kept token's grid position (and the text after the block
 *  where it was); 'compact' rebuilds the minimal contiguous t/h/w grid of the kept tokens (each coordinate replaced by
 *  its rank among the kept ones) and shifts later text to follow that grid. */
export type PrunedPositions = 'original' | 'compact';

function mergedSize(g: VisionGrid, merge: number, what: string): [number, number] {
  if (g.h % merge || g.w % merge) throw new Error(`${what}: grid ${g.h}x${g.w} is not divisible by the merge size ${merge}`);
  return [g.h / merge, g.w / merge];
}

/** Qwen2.5-VL: one block per video. `secondPerGrid`: the video's second_per_grid_ts entry; HF truncates it to an
 *  integer before scaling by tokens_per_second. */
export function qwen25VideoBlockGrid(g: VisionGrid, merge: number, secondPerGrid: number, tokensPerSecond: number):
  Omit<VisualBlock, 'start'> {
  const [h, w] = mergedSize(g, merge, 'video_grid_thw');
  const interval = tokensPerSecond * Math.trunc(secondPerGrid);
  if (!Number.isInteger(interval)) throw new Error(`tokens_per_second ${tokensPerSecond} x ${Math.trunc(secondPerGrid)} s is not an integer position step`);
  return { t: g.t, h, w, tOffsets: Int32Array.from({ length: g.t }, (_, i) => i * interval) };
}

/** Qwen3-VL: one block per frame group (t = 1, offset 0); the timestamps between them are text. */
export function qwen3VideoBlockGrids(g: VisionGrid, merge: number): Omit<VisualBlock, 'start'>[] {
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
    const n = g.t * g.h * g.w;
    if (runs[i].length !== n) throw new Error(`video block ${i}: ${runs[i].length} video tokens in the prompt, its grid ${g.t}x${g.h}x${g.w} has ${n}`);
    return { ...g, start: runs[i].start };
  });
}

/** Positions of a prompt of `rows` rows (the dense layout: every block whole) with these visual blocks (ascending,
 *  not overlapping), for the rows that stay (text rows and the blocks' kept tokens); `next`: the position (in all three
 *  streams) of text appended to the prompt; `maxPosition`: the largest position of any stream. */
export function ropeIndex(rows: number, blocks: readonly VisualBlock[], pruned: PrunedPositions = 'original'):
  { positions: MropePositions; next: number; maxPosition: number } {
  const stay = rows - blocks.reduce((a, b) => a + b.t * b.h * b.w - (b.kept ? b.kept.length : b.t * b.h * b.w), 0);
  const t = new Int32Array(stay), h = new Int32Array(stay), w = new Int32Array(stay);
  let row = 0, out = 0, next = 0, top = -1;
  const text = (end: number) => {
    for (; row < end; row++, out++) { t[out] = h[out] = w[out] = next; top = Math.max(top, next); next++; }
  };
  for (const b of blocks) {
    if (b.start < row) throw new Error(`video blocks overlap or are out of order at row ${b.start}`);
    text(b.start);
    const area = b.h * b.w, all = b.t * area;
    if (b.start + all > rows) throw new Error(`video block at row ${b.start} (${all} tokens) runs past the ${rows} rows`);
    const ids = b.kept ?? Int32Array.from({ length: all }, (_, i) => i);
    const base = next;
    const ti = (k: number) => b.tOffsets[Math.floor(k / area)], hi = (k: number) => Math.floor(k / b.w) % b.h, wi = (k: number) => k % b.w;
    let maps: [(k: number) => number, (k: number) => number, (k: number) => number] = [ti, hi, wi];
    if (pruned === 'compact' && b.kept) maps = [denseRanks(ids, ti), denseRanks(ids, hi), denseRanks(ids, wi)];
    for (const k of ids) {
      if (!(k >= 0 && k < all)) throw new Error(`video block at row ${b.start}: kept token ${k} outside its ${all}`);
      t[out] = base + maps[0](k); h[out] = base + maps[1](k); w[out] = base + maps[2](k);
      top = Math.max(top, t[out], h[out], w[out]);
      out++;
    }
    row += all;
    const compact = pruned === 'compact' && b.kept;
    // Kept tokens at their grid positions: what follows is placed as for the whole grid.
    if (!compact) top = Math.max(top, base + Math.max(b.tOffsets[b.t - 1], b.h - 1, b.w - 1));
    // The text after the block: past the block's spatial extent (of the whole grid, or of the compacted one).
    next = base + (compact ? distinctCount(ids, [hi, wi]) : Math.max(b.h, b.w));
  }
  text(rows);
  return { positions: { t, h, w }, next, maxPosition: top };
}

/** The larger number of distinct values among the kept tokens' coordinates. */
function distinctCount(ids: Int32Array, coords: ((k: number) => number)[]): number {
  return Math.max(0, ...coords.map((c) => new Set(Array.from(ids, c)).size));
}

/** Splits ascending kept indices over all video tokens (blocks in order, each t·h·w) into per-block kept indices. */
export function keptPerBlock(blocks: readonly Omit<VisualBlock, 'start'>[], kept: Int32Array): Int32Array[] {
  let off = 0, j = 0;
  const out = blocks.map((b) => {
    const n = b.t * b.h * b.w, from = j;
    while (j < kept.length && kept[j] < off + n) j++;
    const mine = kept.subarray(from, j).map((k) => k - off);
    off += n;
    return mine;
  });
  if (j !== kept.length) throw new Error(`kept video token ${kept[j]} is outside the ${off} video tokens (or the list is not ascending)`);
  return out;
}

/** A map from each kept token to the rank of its coordinate among the distinct coordinates kept (0, 1, 2, ...). */
function denseRanks(ids: Int32Array, coord: (k: number) => number): (k: number) => number {
  const values = [...new Set(Array.from(ids, coord))].sort((a, b) => a - b);
  const rank = new Map(values.map((v, i) => [v, i]));
  return (k) => rank.get(coord(k))!;
}
