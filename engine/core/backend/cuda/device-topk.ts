// Decode retrieval's per-layer top-k on the device (Backend.kvScoresTopK): the score rows kvScoresDeferred left on the
// device are ranked by kernels/src/gpu_topk.cu and only the chosen positions (plus two mass sums per row) come back,
// instead of every layer's scores followed by a JS top-k per layer.
import type { KvTopK } from '../backend.ts';
import type { KernelsAddon } from './addon.ts';

/** One layer's scores still on the device: f32 over all cache slots, read at `candidates`. */
export interface DeviceScoreRow {
  ptr: number;
  candidates: Int32Array;
  /** False once downloaded or ranked (the device buffer is gone). */
  live: boolean;
  free(): void;
}

/** Ranks the rows on the device; frees them. All rows must be live and share one candidates array. */
export function deviceTopK(addon: KernelsAddon, rows: readonly DeviceScoreRow[], k: number): KvTopK {
  const R = rows.length, cand = R ? rows[0].candidates : new Int32Array(0), n = cand.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`kvScoresTopK: k ${k} outside [0, ${n}]`);
  if (rows.some((r) => !r.live || r.candidates !== cand)) throw new Error('kvScoresTopK: rows must be live and share candidates');
  if (R === 0) return { positions: [], total: new Float64Array(0), kept: new Float64Array(0) };
  if (n === 0) {
    for (const r of rows) { r.free(); r.live = false; }
    return { positions: rows.map(() => new Int32Array(0)), total: new Float64Array(R), kept: new Float64Array(R) };
  }
  const idxPtr = addon.alloc(Math.max(4, R * k * 4)), massPtr = addon.alloc(R * 16);
  try {
    addon.topkRows(idxPtr, massPtr, Float64Array.from(rows, (r) => r.ptr), n, cand, k);
    const idx = new Int32Array(R * k), mass = new Float64Array(2 * R);
    if (k) addon.download(idxPtr, idx);
    addon.download(massPtr, mass);
    const total = new Float64Array(R), kept = new Float64Array(R);
    for (let r = 0; r < R; r++) { total[r] = mass[2 * r]; kept[r] = mass[2 * r + 1]; }
    return { positions: Array.from({ length: R }, (_, r) => idx.subarray(r * k, (r + 1) * k)), total, kept };
  } finally {
    addon.free(idxPtr);
    addon.free(massPtr);
    for (const r of rows) { r.free(); r.live = false; }
  }
}
