// Streaming column mean of softmax(Q·Kᵀ·scale) in plain JS: the CPU reference of Backend.attentionColumnMean and
// the math of the CUDA kernel (flash-colreduce style). Never holds more than one key block of scores per query row.
//   pass 1: per query row, online log-sum-exp over key blocks  -> lse[i]
//   pass 2: re-stream the key blocks, add exp(s_ij - lse[i]) into column j
// Result: s[j] = mean over heads and query rows of softmax_j(q_i·k_j·scale).

export interface ColumnMeanInput {
  /** Queries [rowsQ, heads*headDim], head-major within a row. */
  q: Float32Array;
  /** Keys [rowsK, heads*headDim]. */
  k: Float32Array;
  heads: number;
  headDim: number;
  scale: number;
  /** Keys per block (the streaming granularity); default 64. */
  block?: number;
}

export function attentionColumnMeanStreaming(input: ColumnMeanInput): Float32Array {
  const { q, k, heads, headDim, scale } = input;
  const block = input.block ?? 64;
  const width = heads * headDim;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(headDim) || headDim < 1) {
    throw new Error(`attentionColumnMean: heads (${heads}) and headDim (${headDim}) must be positive integers`);
  }
  if (q.length % width !== 0 || k.length % width !== 0) {
    throw new Error(`attentionColumnMean: q (${q.length}) and k (${k.length}) lengths must be multiples of heads*headDim (${width})`);
  }
  if (!Number.isInteger(block) || block < 1) throw new Error(`attentionColumnMean: block must be a positive integer, got ${block}`);
  const rowsQ = q.length / width;
  const rowsK = k.length / width;
  const out = new Float64Array(rowsK);
  if (rowsQ === 0 || rowsK === 0) return new Float32Array(rowsK);

  const qh = new Float32Array(rowsQ * headDim);
  const kh = new Float32Array(rowsK * headDim);
  const lse = new Float64Array(rowsQ);
  const scores = new Float64Array(block);

  for (let h = 0; h < heads; h++) {
    // Contiguous per-head copies (scale folded into q) keep the inner dot product a tight loop.
    for (let i = 0; i < rowsQ; i++) {
      const src = i * width + h * headDim;
      const dst = i * headDim;
      for (let c = 0; c < headDim; c++) qh[dst + c] = q[src + c] * scale;
    }
    for (let j = 0; j < rowsK; j++) {
      const src = j * width + h * headDim;
      kh.set(k.subarray(src, src + headDim), j * headDim);
    }

    // Pass 1: online log-sum-exp per query row over key blocks.
    for (let i = 0; i < rowsQ; i++) {
      const qo = i * headDim;
      let m = -Infinity;
      let l = 0;
      for (let j0 = 0; j0 < rowsK; j0 += block) {
        const j1 = Math.min(rowsK, j0 + block);
        let bm = -Infinity;
        for (let j = j0; j < j1; j++) {
          const ko = j * headDim;
          let s = 0;
          for (let c = 0; c < headDim; c++) s += qh[qo + c] * kh[ko + c];
          scores[j - j0] = s;
          if (s > bm) bm = s;
        }
        const mNew = bm > m ? bm : m;
        let sum = 0;
        for (let j = j0; j < j1; j++) sum += Math.exp(scores[j - j0] - mNew);
        l = l * Math.exp(m - mNew) + sum;
        m = mNew;
      }
      lse[i] = m + Math.log(l);
    }

    // Pass 2: re-stream key blocks, accumulate probabilities per key column.
    for (let j0 = 0; j0 < rowsK; j0 += block) {
      const j1 = Math.min(rowsK, j0 + block);
      for (let i = 0; i < rowsQ; i++) {
        const qo = i * headDim;
        const li = lse[i];
        for (let j = j0; j < j1; j++) {
          const ko = j * headDim;
          let s = 0;
          for (let c = 0; c < headDim; c++) s += qh[qo + c] * kh[ko + c];
          out[j] += Math.exp(s - li);
        }
      }
    }
  }

  const norm = 1 / (heads * rowsQ);
  const result = new Float32Array(rowsK);
  for (let j = 0; j < rowsK; j++) result[j] = out[j] * norm;
  return result;
}

/** Same result, CPU fast path: one pass over blocks of query rows (rowBlock × rowsK scores at a time, exact softmax
 *  per row, then column accumulation), four query rows per key to keep the JIT's inner loop busy. Half the dot
 *  products of the two-pass form; memory stays O(rowBlock · rowsK), never the full matrix. */
export function attentionColumnMeanQueryBlocks(input: ColumnMeanInput & { rowBlock?: number }): Float32Array {
  const { q, k, heads: H, headDim: d, scale } = input;
  const rb = input.rowBlock ?? 32;
  const W = H * d;
  if (!Number.isInteger(H) || H < 1 || !Number.isInteger(d) || d < 1) {
    throw new Error(`attentionColumnMean: heads (${H}) and headDim (${d}) must be positive integers`);
  }
  if (q.length % W !== 0 || k.length % W !== 0) {
    throw new Error(`attentionColumnMean: q (${q.length}) and k (${k.length}) lengths must be multiples of heads*headDim (${W})`);
  }
  if (!Number.isInteger(rb) || rb < 1) throw new Error(`attentionColumnMean: rowBlock must be a positive integer, got ${rb}`);
  const Tq = q.length / W;
  const Tk = k.length / W;
  const out = new Float64Array(Tk);
  if (Tq === 0 || Tk === 0) return new Float32Array(Tk);
  const qh = new Float32Array(Tq * d);
  const kh = new Float32Array(Tk * d);
  const S = new Float32Array(rb * Tk);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < Tq; i++) for (let c = 0; c < d; c++) qh[i * d + c] = q[i * W + h * d + c] * scale;
    for (let j = 0; j < Tk; j++) kh.set(k.subarray(j * W + h * d, j * W + h * d + d), j * d);
    for (let i0 = 0; i0 < Tq; i0 += rb) {
      const i1 = Math.min(Tq, i0 + rb);
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const a0 = i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
        const r0 = (i - i0) * Tk;
        for (let j = 0; j < Tk; j++) {
          const ko = j * d;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let c = 0; c < d; c++) {
            const kv = kh[ko + c];
            s0 += qh[a0 + c] * kv;
            s1 += qh[a1 + c] * kv;
            s2 += qh[a2 + c] * kv;
            s3 += qh[a3 + c] * kv;
          }
          S[r0 + j] = s0;
          S[r0 + Tk + j] = s1;
          S[r0 + 2 * Tk + j] = s2;
          S[r0 + 3 * Tk + j] = s3;
        }
      }
      for (; i < i1; i++) {
        const a = i * d;
        const r0 = (i - i0) * Tk;
        for (let j = 0; j < Tk; j++) {
          const ko = j * d;
          let s = 0;
          for (let c = 0; c < d; c++) s += qh[a + c] * kh[ko + c];
          S[r0 + j] = s;
        }
      }
      for (let r = 0; r < i1 - i0; r++) {
        const o = r * Tk;
        let m = -Infinity;
        for (let j = 0; j < Tk; j++) if (S[o + j] > m) m = S[o + j];
        let sum = 0;
        for (let j = 0; j < Tk; j++) {
          const e = Math.exp(S[o + j] - m);
          S[o + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < Tk; j++) out[j] += S[o + j] * inv;
      }
    }
  }
  const norm = 1 / (H * Tq);
  const res = new Float32Array(Tk);
  for (let j = 0; j < Tk; j++) res[j] = out[j] * norm;
  return res;
}
