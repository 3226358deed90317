// Quest-style page selection (retrieval 'pages') on host arrays: the CPU backend's implementation and the reference the
// CUDA kernels (kernels/src/gpu_pages.cu) are checked against.
//   A paged run is `count` consecutive cache slots from `first` (the retained visual tokens), cut into full pages of
//   `pageSize` slots; a last partial page, if any, is always read.
//   Bounds (once per prefix): per full page and kv head channel, the min and the max of the page's keys.
//   Score (per decode step and layer): for query head h reading kv head g, an upper bound of its logits on page p,
//   ub_h(p) = scale * sum_c max(q_hc * min_pgc, q_hc * max_pgc); heads share the layer's pages, so a page scores
//   max_h (ub_h(p) - max_p' ub_h(p')): each head's best page scores 0, and the union of the heads' favourites wins.
//   Selection: the top `topPages` scores (ties to the lower page, NaN last), ascending.
//   Slots read: [0, first) + the selected pages + [first + fullPages * pageSize, kvLen).
import { topKAscending } from './select.ts';

export interface PageGeometry {
  first: number;
  count: number;
  pageSize: number;
}

export function fullPages(g: PageGeometry): number {
  return Math.floor(g.count / g.pageSize);
}

/** Bounds of one layer's keys (slot-major rows of `kvWidth`): [fullPages][2][kvWidth], min then max. */
export function pageBoundsHost(keys: Float32Array, kvWidth: number, g: PageGeometry): Float32Array {
  const pages = fullPages(g);
  if (keys.length < (g.first + g.count) * kvWidth) throw new Error(`page bounds: keys hold ${keys.length / kvWidth} slots, the run ends at ${g.first + g.count}`);
  const out = new Float32Array(pages * 2 * kvWidth);
  for (let p = 0; p < pages; p++) {
    const mn = out.subarray(p * 2 * kvWidth, p * 2 * kvWidth + kvWidth), mx = out.subarray(p * 2 * kvWidth + kvWidth, (p + 1) * 2 * kvWidth);
    mn.fill(Infinity);
    mx.fill(-Infinity);
    for (let s = 0; s < g.pageSize; s++) {
      const row = (g.first + p * g.pageSize + s) * kvWidth;
      for (let c = 0; c < kvWidth; c++) {
        const k = keys[row + c];
        if (k < mn[c]) mn[c] = k;
        if (k > mx[c]) mx[c] = k;
      }
    }
  }
  return out;
}

/** Page scores for one query row q [heads * headDim] against bounds [pages][2][kvHeads * headDim]. */
export function pageScoresHost(q: Float32Array, bounds: Float32Array, pages: number, heads: number, kvHeads: number, headDim: number, scale: number): Float32Array {
  if (heads % kvHeads) throw new Error(`page scores: heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (q.length !== heads * headDim) throw new Error(`page scores: q holds ${q.length} values, expected one row of ${heads}x${headDim}`);
  const kvw = kvHeads * headDim, group = heads / kvHeads;
  if (bounds.length !== pages * 2 * kvw) throw new Error(`page scores: bounds hold ${bounds.length} values, expected ${pages}x2x${kvw}`);
  const out = new Float32Array(pages).fill(-Infinity);
  const ub = new Float64Array(pages);
  for (let h = 0; h < heads; h++) {
    const qo = h * headDim, go = Math.floor(h / group) * headDim;
    let best = -Infinity;
    for (let p = 0; p < pages; p++) {
      let s = 0;
      const mn = p * 2 * kvw + go, mx = mn + kvw;
      for (let c = 0; c < headDim; c++) {
        const x = q[qo + c];
        s += Math.max(x * bounds[mn + c], x * bounds[mx + c]);
      }
      ub[p] = s * scale;
      if (ub[p] > best) best = ub[p];
    }
    // NaN never wins a max (the kernel's rule too).
    for (let p = 0; p < pages; p++) if (ub[p] - best > out[p]) out[p] = ub[p] - best;
  }
  return out;
}

/** The `topPages` best pages, ascending. */
export function selectPagesHost(scores: Float32Array, topPages: number): Int32Array {
  return topKAscending(scores, Math.min(topPages, scores.length));
}

/** Cache slots one step reads: [0, first), the selected pages, and [first + fullPages * pageSize, kvLen). */
export function pageSlotsHost(g: PageGeometry, pages: Int32Array, kvLen: number): Int32Array {
  const tail = g.first + fullPages(g) * g.pageSize;
  if (kvLen < tail) throw new Error(`page slots: kvLen ${kvLen} ends before the paged run (${tail})`);
  const out = new Int32Array(g.first + pages.length * g.pageSize + (kvLen - tail));
  let o = 0;
  for (let s = 0; s < g.first; s++) out[o++] = s;
  for (const p of pages) for (let s = 0; s < g.pageSize; s++) out[o++] = g.first + p * g.pageSize + s;
  for (let s = tail; s < kvLen; s++) out[o++] = s;
  return out;
}
