// 4-bit asymmetric quantization of a weight W [out, in] in groups of `groupSize` consecutive input features, into
// the AutoAWQ layout's unpacked form (codes, integer zeros, fp16 scales; engine/core/checkpoint/awq-layout.ts):
//   scale = (max - min) / 15 over the group's range widened to include 0 (so 0 is exact and no code is clipped),
//   zero = round(-min / scale), code = clamp(round(w / scale) + zero, 0, 15), w ≈ (code - zero) · scale.
// Scales are rounded to fp16 before the codes are computed, so the file dequantizes to exactly what was searched.
import { dequantizeAwq, type AwqUnpacked } from '../checkpoint/awq-layout.ts';
import { f16ToF32, f32ToF16 } from '../backend/dtype.ts';

/** Smallest range: a constant group still gets a positive fp16 scale (as AutoAWQ's clamp(min=1e-5)). */
const MIN_RANGE = 1e-5;

/** A weight matrix, row-major [out, in] like the HF weight. */
export interface Matrix {
  data: Float32Array;
  out: number;
  in: number;
}

const one = new Float32Array(1);
function roundToF16(x: number): number {
  one[0] = x;
  return f16ToF32(f32ToF16(one))[0];
}

/** Quantizes src[off, off+len) clamped to [-clip, clip]: codes into codes[off...]; returns the scale and zero. */
export function quantizeGroup(src: Float32Array, off: number, len: number, clip: number, codes: Uint8Array): { scale: number; zero: number } {
  let mn = 0, mx = 0;
  for (let i = off; i < off + len; i++) {
    const v = Math.max(-clip, Math.min(clip, src[i]));
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const scale = roundToF16(Math.max(mx - mn, MIN_RANGE) / 15);
  const zero = Math.min(15, Math.max(0, Math.round(-mn / scale)));
  for (let i = off; i < off + len; i++) {
    const v = Math.max(-clip, Math.min(clip, src[i]));
    codes[i] = Math.min(15, Math.max(0, Math.round(v / scale) + zero));
  }
  return { scale, zero };
}

/** Quantizes w; `clip` (optional, [out, in/groupSize]) bounds each group's values to [-clip, clip] first. */
export function quantizeGroups(w: Matrix, groupSize: number, clip?: Float32Array): AwqUnpacked {
  const { out, in: inF, data } = w;
  if (!(groupSize > 0) || inF % groupSize !== 0) throw new Error(`group size ${groupSize} does not divide ${inF} input features`);
  const groups = inF / groupSize;
  const codes = new Uint8Array(out * inF), zeros = new Uint8Array(groups * out), scales = new Float32Array(groups * out);
  for (let o = 0; o < out; o++) {
    for (let g = 0; g < groups; g++) {
      const { scale, zero } = quantizeGroup(data, o * inF + g * groupSize, groupSize, clip ? clip[o * groups + g] : Infinity, codes);
      scales[g * out + o] = scale;
      zeros[g * out + o] = zero;
    }
  }
  return { out, in: inF, groupSize, codes, zeros, scales };
}

/** W as the 4-bit file gives it back (quantize, then dequantize). */
export function fakeQuantize(w: Matrix, groupSize: number, clip?: Float32Array): Float32Array {
  return dequantizeAwq(quantizeGroups(w, groupSize, clip));
}
