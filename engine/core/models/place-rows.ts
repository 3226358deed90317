// Putting feature rows into the prompt's embeddings (the video placeholder rows) as one backend gather.
import type { Backend, Tensor } from '../backend/backend.ts';

/** `base` [T, D] with rows `rows` (ascending) replaced, in order, by the rows of `src` [rows.length, D]. Frees base. */
export function placeRows(be: Backend, base: Tensor, rows: Int32Array, src: Tensor): Tensor {
  const T = base.shape[0];
  if (src.shape[0] !== rows.length) throw new Error(`placeRows: ${src.shape[0]} feature rows for ${rows.length} placeholder rows`);
  if (rows.length === 0) return base;
  const all = be.concatRows([base, src]);
  be.dispose(base);
  const idx = Int32Array.from({ length: T }, (_, i) => i);
  rows.forEach((r, k) => { idx[r] = T + k; });
  const out = be.gatherRows(all, idx);
  be.dispose(all);
  return out;
}
