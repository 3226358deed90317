// Naive JS references (materialized softmax, float64) for the addon's CPU references.

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

/** probs[h][i][j] = softmax over visible j of q_i·k_j·scale for head h (kv head h / (Hq/Hkv)). */
export function softmaxMatrix(q: Float32Array, k: Float32Array, Tq: number, Tk: number, Hq: number, Hkv: number,
  d: number, scale: number, causalBase: number, slots?: Int32Array): number[][][] {
  const group = Hq / Hkv;
  const cols = slots ? Array.from(slots) : Array.from({ length: Tk }, (_, j) => j);
  const out: number[][][] = [];
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / group);
    const rows: number[][] = [];
    for (let i = 0; i < Tq; i++) {
      const s = cols.map((j) => {
        if (causalBase >= 0 && j > causalBase + i) return -Infinity;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[i * Hq * d + h * d + c] * k[j * Hkv * d + g * d + c];
        return dot * scale;
      });
      const m = Math.max(...s);
      const e = s.map((x) => (x === -Infinity ? 0 : Math.exp(x - m)));
      const z = e.reduce((a, b) => a + b, 0);
      rows.push(e.map((x) => x / z));
    }
    out.push(rows);
  }
  return out;
}

export function naiveColMean(q: Float32Array, k: Float32Array, Tq: number, Tk: number, Hq: number, Hkv: number,
  d: number, scale: number, causalBase: number): Float64Array {
  const p = softmaxMatrix(q, k, Tq, Tk, Hq, Hkv, d, scale, causalBase);
  const col = new Float64Array(Tk);
  for (const head of p) for (const row of head) row.forEach((x, j) => { col[j] += x; });
  return col.map((x) => x / (Hq * Tq));
}

export function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, Tq: number, Tk: number, Hq: number,
  Hkv: number, d: number, scale: number, causalBase: number, slots?: Int32Array): Float64Array {
  const p = softmaxMatrix(q, k, Tq, Tk, Hq, Hkv, d, scale, causalBase, slots);
  const cols = slots ? Array.from(slots) : Array.from({ length: Tk }, (_, j) => j);
  const group = Hq / Hkv;
  const out = new Float64Array(Tq * Hq * d);
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / group);
    for (let i = 0; i < Tq; i++) {
      cols.forEach((j, n) => {
        const w = p[h][i][n];
        for (let c = 0; c < d; c++) out[i * Hq * d + h * d + c] += w * v[j * Hkv * d + g * d + c];
      });
    }
  }
  return out;
}

export function maxRelErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`length ${a.length} != ${ref.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    if (!(d <= num)) num = Number.isNaN(d) ? Infinity : Math.max(num, d);
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / (den || 1);
}
