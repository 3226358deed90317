// Conversions of raw little-endian weight bytes to float32.
import type { HostTensorData } from './backend.ts';

export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

const HALF_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

export function f16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = HALF_TABLE[src[i]];
  return out;
}

/** float32 -> bf16 (round to nearest even), for writing checkpoints. */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = u[i];
    out[i] = (x + 0x7fff + ((x >> 16) & 1)) >>> 16;
  }
  return out;
}

/** float32 -> f16 (round to nearest), for writing checkpoints. */
export function f32ToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    let e = ((x >>> 23) & 0xff) - 127 + 15;
    let m = x & 0x7fffff;
    if (e >= 31) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      m = (m | 0x800000) >> (1 - e);
      out[i] = sign | ((m + 0x1000) >> 13);
      continue;
    }
    const r = m + 0x1000;
    if (r & 0x800000) { m = 0; e += 1; } else m = r;
    out[i] = e >= 31 ? sign | 0x7c00 : sign | (e << 10) | (m >> 13);
  }
  return out;
}

export function hostToF32(data: HostTensorData): Float32Array {
  const n = data.shape.reduce((a, x) => a * x, 1);
  const b = data.bytes;
  if (data.dtype === 'f32') {
    if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, n);
    return new Float32Array(b.slice().buffer, 0, n);
  }
  const u16 = b.byteOffset % 2 === 0 ? new Uint16Array(b.buffer, b.byteOffset, n) : new Uint16Array(b.slice().buffer, 0, n);
  return data.dtype === 'bf16' ? bf16ToF32(u16) : f16ToF32(u16);
}
