// Geometry of Qwen-VL vision input (HF pixel_values_videos + video_grid_thw): each grid row (t, h, w) is t temporal
// groups of an h x w patch grid, and its patch rows come in merge-block order: for each temporal group, for each
// merged unit (row-major over the (h/m) x (w/m) merged grid), its m x m patches (row-major). Attention never crosses a
// temporal group, so whole groups can be run in separate batches.

export interface VisionGrid {
  /** Temporal groups (frames / temporal_patch_size). */
  t: number;
  /** Patch rows and columns of one group. */
  h: number;
  w: number;
}

/** Throws a clear error unless every grid is positive integers with h and w multiples of the merge size. */
export function checkGrids(grids: readonly VisionGrid[], mergeSize: number): void {
  if (grids.length === 0) throw new Error('video_grid_thw: no grid');
  grids.forEach((g, i) => {
    for (const k of ['t', 'h', 'w'] as const) {
      if (!Number.isInteger(g[k]) || g[k] < 1) throw new Error(`video_grid_thw[${i}].${k} must be a positive integer, got ${g[k]}`);
    }
    if (g.h % mergeSize || g.w % mergeSize) {
      throw new Error(`video_grid_thw[${i}] = (${g.t}, ${g.h}, ${g.w}): h and w must be multiples of spatial_merge_size ${mergeSize}`);
    }
  });
}

/** Patch rows of the grids (the rows of pixel_values_videos). */
export function gridRows(grids: readonly VisionGrid[]): number {
  return grids.reduce((a, g) => a + g.t * g.h * g.w, 0);
}

export interface GridChunk {
  grids: VisionGrid[];
  /** First patch row of the chunk and its row count. */
  rowStart: number;
  rows: number;
}

/** The grids cut into chunks of whole temporal groups, each of at most maxRows patch rows (a single group larger than
 *  that is a chunk of its own). Chunks keep the input order, so their outputs concatenate to the whole's. */
export function chunkGrids(grids: readonly VisionGrid[], maxRows: number): GridChunk[] {
  const chunks: GridChunk[] = [];
  let cur: GridChunk = { grids: [], rowStart: 0, rows: 0 };
  for (const g of grids) {
    const per = g.h * g.w;
    for (let t = 0; t < g.t;) {
      let n = Math.floor((maxRows - cur.rows) / per);
      if (n < 1 && cur.rows > 0) {
        chunks.push(cur);
        cur = { grids: [], rowStart: cur.rowStart + cur.rows, rows: 0 };
        continue;
      }
      n = Math.max(1, Math.min(n, g.t - t));
      cur.grids.push({ t: n, h: g.h, w: g.w });
      cur.rows += n * per;
      t += n;
    }
  }
  if (cur.rows > 0) chunks.push(cur);
  return chunks;
}

/** Per patch row, its (row, column) in its group's patch grid (the 2-D rotary positions, HF get_vision_position_ids). */
export function patchCoordinates(grids: readonly VisionGrid[], m: number): { h: Int32Array; w: Int32Array } {
  const n = gridRows(grids);
  const h = new Int32Array(n), w = new Int32Array(n);
  let r = 0;
  for (const g of grids) {
    for (let t = 0; t < g.t; t++) {
      for (let bh = 0; bh < g.h / m; bh++) {
        for (let bw = 0; bw < g.w / m; bw++) {
          for (let ih = 0; ih < m; ih++) {
            for (let iw = 0; iw < m; iw++, r++) {
              h[r] = bh * m + ih;
              w[r] = bw * m + iw;
            }
          }
        }
      }
    }
  }
  return { h, w };
}

/** The temporal groups as [start, length) runs of patch rows (HF cu_seqlens of full attention). */
export function groupSegments(grids: readonly VisionGrid[]): Int32Array[] {
  const segs: Int32Array[] = [];
  let r = 0;
  for (const g of grids) {
    const per = g.h * g.w;
    for (let t = 0; t < g.t; t++, r += per) segs.push(Int32Array.from({ length: per }, (_, i) => r + i));
  }
  return segs;
}

/** Qwen2.5-VL's windows (HF get_vision_window_index): per temporal group, the merged grid cut into windows of
 *  `units` x `units` merged units from the top-left (smaller windows at the bottom and right edges), windows in
 *  row-major order, units row-major within a window. Returns each window's merged-unit indices (input order). */
export function windowMergedUnits(grids: readonly VisionGrid[], m: number, units: number): Int32Array[] {
  const windows: Int32Array[] = [];
  let base = 0;
  for (const g of grids) {
    const lh = g.h / m, lw = g.w / m;
    for (let t = 0; t < g.t; t++, base += lh * lw) {
      for (let y0 = 0; y0 < lh; y0 += units) {
        for (let x0 = 0; x0 < lw; x0 += units) {
          const idx: number[] = [];
          for (let y = y0; y < Math.min(lh, y0 + units); y++) {
            for (let x = x0; x < Math.min(lw, x0 + units); x++) idx.push(base + y * lw + x);
          }
          windows.push(Int32Array.from(idx));
        }
      }
    }
  }
  return windows;
}
