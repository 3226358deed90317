// Retrieval scoring on host arrays: the CPU math of Backend.kvScores (and the reference for the CUDA kernel).
// For candidate slot v: mean over query heads and query rows of softmax(q·Kᵀ·scale)[v], the softmax running over every
// slot [0, kvLen) the row may see (causal: slot j visible to row i iff j <= causalBase + i), GQA head sharing.

export interface KvScoresInput {
  /** Queries [Tq, heads*headDim] (already rotated). */
  q: Float32Array;
  /** Keys of one layer, slot-major [>= kvLen, kvHeads*headDim] (already rotated). */
  keys: Float32Array;
  heads: number;
  kvHeads: number;
  headDim: number;
  kvLen: number;
  candidates: Int32Array;
  scale: number;
  causalBase?: number;
}

export function kvScoresHost(input: KvScoresInput): Float32Array {
  const { q, keys, heads, kvHeads, headDim: d, kvLen, candidates, scale } = input;
  if (heads % kvHeads !== 0) throw new Error(`kvScores: heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  const qw = heads * d;
  const kw = kvHeads * d;
  if (q.length % qw !== 0) throw new Error(`kvScores: q length ${q.length} is not a multiple of heads*headDim ${qw}`);
  if (keys.length < kvLen * kw) throw new Error(`kvScores: keys hold ${keys.length / kw} slots, kvLen is ${kvLen}`);
  for (const c of candidates) if (c < 0 || c >= kvLen) throw new Error(`kvScores: candidate slot ${c} outside [0, ${kvLen})`);
  const Tq = q.length / qw;
  const group = heads / kvHeads;
  const col = new Float64Array(kvLen);
  const s = new Float64Array(kvLen);
  for (let i = 0; i < Tq; i++) {
    const visible = input.causalBase === undefined ? kvLen : Math.min(kvLen, input.causalBase + i + 1);
    for (let h = 0; h < heads; h++) {
      const qo = i * qw + h * d;
      const ko = Math.floor(h / group) * d;
      let m = -Infinity;
      for (let j = 0; j < visible; j++) {
        let dot = 0;
        const kr = j * kw + ko;
        for (let c = 0; c < d; c++) dot += q[qo + c] * keys[kr + c];
        s[j] = dot * scale;
        if (s[j] > m) m = s[j];
      }
      let sum = 0;
      for (let j = 0; j < visible; j++) sum += (s[j] = Math.exp(s[j] - m));
      const inv = 1 / sum;
      for (let j = 0; j < visible; j++) col[j] += s[j] * inv;
    }
  }
  const out = new Float32Array(candidates.length);
  const norm = 1 / (heads * Tq);
  for (let c = 0; c < candidates.length; c++) out[c] = col[candidates[c]] * norm;
  return out;
}
