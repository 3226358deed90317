// The retained prefix's prefill, shared by both model families' sessions: the decoder over the prefix rows into a new
// KV cache with room for the turns.
import type { Backend, KvCache, Tensor } from '../backend/backend.ts';
import type { Qwen2, Qwen2ForwardOptions } from '../models/qwen2.ts';

/** xs [rows, D] through the decoder into a new cache of rows + turnCapacity slots (length = rows); xs is freed, and
 *  the cache too when the forward fails. */
export function prefillCache(be: Backend, llm: Qwen2, xs: Tensor, turnCapacity: number,
  fwd: Omit<Qwen2ForwardOptions, 'at' | 'lastOnly'>, onProgress?: (done: number, total: number) => void): KvCache {
  const rows = xs.shape[0];
  const cache = llm.createCache(rows + turnCapacity);
  try {
    onProgress?.(0, rows);
    be.dispose(llm.forward(xs, cache, { ...fwd, at: 0, lastOnly: true }));
    cache.length = rows;
    be.sync();
  } catch (err) {
    be.disposeKvCache(cache);
    throw err;
  } finally {
    be.dispose(xs);
  }
  onProgress?.(rows, rows);
  return cache;
}
