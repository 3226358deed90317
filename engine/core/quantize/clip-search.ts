// AWQ's weight clipping search (the reference implementation's auto_clip): per output channel and group, the largest
// |w| kept is shrunk by a ratio in 1, 0.95, ..., 0.55 and the ratio whose quantized group gives the smallest error
// on the calibration inputs wins. The error of one group's partial dot products, mean_r (x_r · (q - w))², is
// (q - w)ᵀ H (q - w) with H = XᵀX / rows of that group's inputs, so each candidate costs groupSize² instead of a pass
// over the rows.
import { quantizeGroup, type Matrix } from './group-quant.ts';
import type { Activations } from './matmul.ts';

const CLIP_STEPS = 10;
const CLIP_STEP = 0.05;

/** H_g = X_gᵀ X_g / rows for each group g of input features ([groups][groupSize²]). */
function groupGrams(x: Activations, groupSize: number): Float64Array[] {
  const groups = x.in / groupSize;
  return Array.from({ length: groups }, (_, g) => {
    const h = new Float64Array(groupSize * groupSize);
    for (let r = 0; r < x.rows; r++) {
      const row = r * x.in + g * groupSize;
      for (let a = 0; a < groupSize; a++) {
        const xa = x.data[row + a];
        if (xa === 0) continue;
        for (let b = 0; b < groupSize; b++) h[a * groupSize + b] += xa * x.data[row + b];
      }
    }
    for (let k = 0; k < h.length; k++) h[k] /= Math.max(1, x.rows);
    return h;
  });
}

/** Per [out, group], the clip bound (max |w| kept) that minimises the output error, and the share of blocks narrowed. */
export function searchClip(w: Matrix, x: Activations, groupSize: number): { bounds: Float32Array; narrowed: number } {
  const groups = w.in / groupSize;
  const grams = groupGrams(x, groupSize);
  const clip = new Float32Array(w.out * groups);
  let narrowed = 0;
  const codes = new Uint8Array(w.data.length);
  const d = new Float64Array(groupSize);
  for (let o = 0; o < w.out; o++) {
    for (let g = 0; g < groups; g++) {
      const off = o * w.in + g * groupSize, h = grams[g];
      let maxAbs = 0;
      for (let i = 0; i < groupSize; i++) maxAbs = Math.max(maxAbs, Math.abs(w.data[off + i]));
      let bestErr = Infinity, best = maxAbs;
      for (let k = 0; k < CLIP_STEPS; k++) {
        const c = maxAbs * (1 - k * CLIP_STEP);
        const { scale, zero } = quantizeGroup(w.data, off, groupSize, c, codes);
        for (let i = 0; i < groupSize; i++) d[i] = (codes[off + i] - zero) * scale - w.data[off + i];
        let err = 0;
        for (let a = 0; a < groupSize; a++) {
          if (d[a] === 0) continue;
          let row = 0;
          for (let b = 0; b < groupSize; b++) row += h[a * groupSize + b] * d[b];
          err += d[a] * row;
        }
        if (err < bestErr) { bestErr = err; best = c; }
      }
      clip[o * groups + g] = best;
      if (best < maxAbs) narrowed++;
    }
  }
  return { bounds: clip, narrowed: narrowed / clip.length };
}
