// Next-token choice: greedy, or temperature + top-p (nucleus) sampling with a seeded PRNG.

/** mulberry32: small, fast, seedable. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SamplingOptions {
  /** 0 (or below 1e-5) = greedy. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = no truncation. */
  topP: number;
  rng: () => number;
}

export function argmax(logits: Float32Array): number {
  let best = 0, bv = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > bv) { bv = logits[i]; best = i; }
  return best;
}

export function sampleToken(logits: Float32Array, o: SamplingOptions): number {
  if (!(o.temperature > 1e-5)) return argmax(logits);
  if (!(o.topP > 0 && o.topP <= 1)) throw new Error(`top_p must be in (0, 1], got ${o.topP}`);
  const n = logits.length;
  let mx = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > mx) mx = logits[i];
  const p = new Float64Array(n);
  let z = 0;
  for (let i = 0; i < n; i++) { p[i] = Math.exp((logits[i] - mx) / o.temperature); z += p[i]; }
  let idx: number[];
  if (o.topP < 1) {
    // Only candidates that can matter: sort the ids carrying non-negligible mass.
    idx = [];
    for (let i = 0; i < n; i++) if (p[i] / z > 1e-9) idx.push(i);
    idx.sort((a, b) => p[b] - p[a] || a - b);
    let acc = 0, cut = idx.length;
    for (let k = 0; k < idx.length; k++) {
      acc += p[idx[k]] / z;
      if (acc >= o.topP) { cut = k + 1; break; }
    }
    idx = idx.slice(0, cut);
  } else {
    idx = Array.from({ length: n }, (_, i) => i);
  }
  let mass = 0;
  for (const i of idx) mass += p[i];
  let r = o.rng() * mass;
  for (const i of idx) {
    r -= p[i];
    if (r <= 0) return i;
  }
  return idx[idx.length - 1];
}
