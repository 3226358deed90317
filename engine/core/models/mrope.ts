// Multimodal RoPE (Qwen2.5-VL, Qwen3-VL): every row has three positions (temporal, height, width); each rotary
// frequency reads one of the three streams, chosen by mrope_section. Qwen2.5-VL takes the frequencies in chunks
// ([t × s0][h × s1][w × s2]); Qwen3-VL interleaves them (t h w t h w ... then t for the rest). Text rows carry the same
// value in all three streams, so on text M-RoPE equals plain RoPE. The result is an angle table (RopeAngles) that the
// backends' rope / fused attention-input kernels take as is.
import type { RopeAngles } from '../backend/backend.ts';

export type MropeLayout = 'chunked' | 'interleaved';

export interface Mrope {
  /** Frequencies per stream (t, h, w); they add up to head_dim / 2. */
  readonly section: readonly [number, number, number];
  readonly layout: MropeLayout;
}

/** Three position streams of T rows. */
export interface MropePositions {
  readonly t: Int32Array;
  readonly h: Int32Array;
  readonly w: Int32Array;
}

/** The stream (0 t, 1 h, 2 w) each of the `half` frequencies reads. */
export function mropeStreams(m: Mrope, half: number): Uint8Array {
  const [st, sh, sw] = m.section;
  if (st + sh + sw !== half) throw new Error(`mrope_section [${m.section.join(', ')}] adds up to ${st + sh + sw}, head dim needs ${half}`);
  const out = new Uint8Array(half);
  for (let i = 0; i < half; i++) {
    if (m.layout === 'chunked') out[i] = i < st ? 0 : i < st + sh ? 1 : 2;
    // Interleaved: h on i ≡ 1 (mod 3) below 3·s1, w on i ≡ 2 below 3·s2, t everywhere else.
    else out[i] = i % 3 === 1 && i < 3 * sh ? 1 : i % 3 === 2 && i < 3 * sw ? 2 : 0;
  }
  return out;
}

/** angle[r][i] = position of row r in stream streams[i] · invFreq[i], in float32 as HF computes it. */
export function mropeAngles(pos: MropePositions, invFreq: Float32Array, streams: Uint8Array): RopeAngles {
  const T = pos.t.length, half = invFreq.length;
  if (pos.h.length !== T || pos.w.length !== T) throw new Error('M-RoPE positions: the three streams differ in length');
  if (streams.length !== half) throw new Error(`M-RoPE: ${streams.length} stream choices for ${half} frequencies`);
  const by = [pos.t, pos.h, pos.w];
  const angles = new Float32Array(T * half);
  for (let r = 0; r < T; r++) for (let i = 0; i < half; i++) angles[r * half + i] = Math.fround(by[streams[i]][r] * invFreq[i]);
  return { angles };
}

/** n text rows from position `from` (all three streams equal). */
export function textPositions(from: number, n: number): MropePositions {
  const p = Int32Array.from({ length: n }, (_, i) => from + i);
  return { t: p, h: p, w: p };
}

/** Rows `idx` of positions (in that order). */
export function gatherPositions(pos: MropePositions, idx: ArrayLike<number>): MropePositions {
  const pick = (a: Int32Array) => Int32Array.from({ length: idx.length }, (_, i) => a[idx[i]]);
  return { t: pick(pos.t), h: pick(pos.h), w: pick(pos.w) };
}

/** Positions one after another. */
export function concatPositions(parts: readonly MropePositions[]): MropePositions {
  const cat = (k: 't' | 'h' | 'w') => {
    const out = new Int32Array(parts.reduce((a, p) => a + p[k].length, 0));
    let o = 0;
    for (const p of parts) { out.set(p[k], o); o += p[k].length; }
    return out;
  };
  return { t: cat('t'), h: cat('h'), w: cat('w') };
}

/** The largest position of any stream (-1 for no rows). */
export function maxPosition(pos: MropePositions): number {
  let m = -1;
  for (const a of [pos.t, pos.h, pos.w]) for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
