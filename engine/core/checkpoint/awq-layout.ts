// The AutoAWQ "gemm" layout of a 4-bit linear layer (quant_method "awq", version "gemm", as in
// Qwen/Qwen2.5-VL-7B-Instruct-AWQ), for a weight W [out, in] quantized in groups of `groupSize` input rows:
//   qweight int32 [in, out/8]           eight 4-bit codes per int32
//   qzeros  int32 [in/groupSize, out/8] the group's integer zero points, packed the same way
//   scales  fp16  [in/groupSize, out]
//   W[o][i] = (code - zero) * scale, zero and scale those of group floor(i / groupSize) and column o.
// Packing order: nibble k (bits 4k..4k+3) of int32 column c holds output channel 8c + AWQ_PACK_ORDER[k].
import type { AwqPacked, AwqShape } from '../backend/backend.ts';
import { f16ToF32, f32ToF16 } from '../backend/dtype.ts';

export type { AwqPacked, AwqShape };

export const AWQ_PACK_ORDER = [0, 2, 4, 6, 1, 3, 5, 7] as const;
/** Nibble that holds channel 8c + j (the inverse of AWQ_PACK_ORDER; transformers calls it AWQ_REVERSE_ORDER's dual). */
export const NIBBLE_OF_CHANNEL = [0, 4, 1, 5, 2, 6, 3, 7] as const;

/** The same layer unpacked: codes and zeros in 0..15, scales as float32 (fp16 values). */
export interface AwqUnpacked extends AwqShape {
  /** [out, in], row-major like the HF weight. */
  codes: Uint8Array;
  /** [in/groupSize, out]. */
  zeros: Uint8Array;
  /** [in/groupSize, out]. */
  scales: Float32Array;
}

export class AwqLayoutError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'AwqLayoutError';
  }
}

/** Checks the three tensors' shapes against [out, in] and the group size; the message names `prefix`'s tensor. */
export function checkAwqShapes(prefix: string, s: AwqShape, shapes: { qweight?: readonly number[]; qzeros?: readonly number[]; scales?: readonly number[] }): void {
  const fail = (t: string, why: string) => { throw new AwqLayoutError(`${prefix}.${t}: ${why}`); };
  if (!(s.groupSize > 0) || s.in % s.groupSize !== 0) fail('qweight', `group size ${s.groupSize} does not divide the ${s.in} input features`);
  if (s.out % 8 !== 0) fail('qweight', `${s.out} output features is not a multiple of 8 (eight 4-bit values per int32)`);
  const g = s.in / s.groupSize;
  const want: Record<'qweight' | 'qzeros' | 'scales', number[]> = { qweight: [s.in, s.out / 8], qzeros: [g, s.out / 8], scales: [g, s.out] };
  for (const t of ['qweight', 'qzeros', 'scales'] as const) {
    const got = shapes[t];
    if (!got) fail(t, 'missing (a 4-bit AWQ layer needs qweight, qzeros and scales)');
    if (got!.length !== 2 || got![0] !== want[t][0] || got![1] !== want[t][1]) {
      fail(t, `shape ${JSON.stringify(got)}, expected ${JSON.stringify(want[t])} for a [${s.out}, ${s.in}] weight with group size ${s.groupSize}`);
    }
  }
}

function packRows(src: Uint8Array, rows: number, cols: number): Int32Array {
  const words = cols / 8, out = new Int32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < words; c++) {
      let w = 0;
      for (let k = 0; k < 8; k++) w |= (src[r * cols + 8 * c + AWQ_PACK_ORDER[k]] & 15) << (4 * k);
      out[r * words + c] = w;
    }
  }
  return out;
}

function unpackRows(src: Int32Array, rows: number, cols: number): Uint8Array {
  const words = cols / 8, out = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < words; c++) {
      const w = src[r * words + c];
      for (let j = 0; j < 8; j++) out[r * cols + 8 * c + j] = (w >>> (4 * NIBBLE_OF_CHANNEL[j])) & 15;
    }
  }
  return out;
}

/** Packs codes [out, in], zeros and scales [in/groupSize, out] into the AutoAWQ layout. */
export function packAwq(u: AwqUnpacked): AwqPacked {
  const { out, in: inF, groupSize } = u;
  const t = new Uint8Array(inF * out); // codes transposed to [in, out]
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) t[i * out + o] = u.codes[o * inF + i];
  return {
    out, in: inF, groupSize,
    qweight: packRows(t, inF, out),
    qzeros: packRows(u.zeros, inF / groupSize, out),
    scales: f32ToF16(u.scales),
  };
}

export function unpackAwq(p: AwqPacked): AwqUnpacked {
  const { out, in: inF, groupSize } = p;
  const t = unpackRows(p.qweight, inF, out);
  const codes = new Uint8Array(out * inF);
  for (let i = 0; i < inF; i++) for (let o = 0; o < out; o++) codes[o * inF + i] = t[i * out + o];
  return { out, in: inF, groupSize, codes, zeros: unpackRows(p.qzeros, inF / groupSize, out), scales: f16ToF32(p.scales) };
}

/** W [out, in] in float32: (code - zero) * scale, computed in float32 (the reference every backend is held to). */
export function dequantizeAwq(u: AwqUnpacked): Float32Array {
  const { out, in: inF, groupSize } = u;
  const w = new Float32Array(out * inF);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inF; i++) {
      const g = ((i / groupSize) | 0) * out + o;
      w[o * inF + i] = (u.codes[o * inF + i] - u.zeros[g]) * u.scales[g];
    }
  }
  return w;
}

/** The same W [out, in] in float32 straight from the packed layout (no unpacked copy; what loaders use at 7B size):
 *  bit-for-bit dequantizeAwq(unpackAwq(p)). */
export function dequantizeAwqPacked(p: AwqPacked): Float32Array {
  const { out, in: inF, groupSize } = p, words = out / 8;
  const w = new Float32Array(out * inF);
  const zero = new Float32Array(out), scale = f16ToF32(p.scales);
  const TILE = 16; // input rows per pass: each output row then gets 16 consecutive floats (one cache line) at a time
  for (let i0 = 0; i0 < inF; i0 += TILE) {
    const i1 = Math.min(inF, i0 + TILE);
    for (let i = i0; i < i1; i++) {
      const g = (i / groupSize) | 0;
      if (i === i0 || i % groupSize === 0) decodeZeros(p.qzeros, g, words, zero);
      const srow = g * out, qrow = i * words;
      for (let c = 0; c < words; c++) {
        const q = p.qweight[qrow + c];
        for (let j = 0; j < 8; j++) {
          const o = 8 * c + j;
          w[o * inF + i] = (((q >>> (4 * NIBBLE_OF_CHANNEL[j])) & 15) - zero[o]) * scale[srow + o];
        }
      }
    }
  }
  return w;
}

function decodeZeros(qzeros: Int32Array, g: number, words: number, into: Float32Array): void {
  for (let c = 0; c < words; c++) {
    const z = qzeros[g * words + c];
    for (let j = 0; j < 8; j++) into[8 * c + j] = (z >>> (4 * NIBBLE_OF_CHANNEL[j])) & 15;
  }
}
