// Antialiased separable resize of 8-bit RGB, bit-exact with torchvision's uint8 antialias path (which HF's
// processors use) or with Pillow: per-output-pixel filter windows widened by the downscale factor, fixed-point
// weights, horizontal pass first, each pass rounded and clamped to 8 bits. The two differ only in the fixed-point
// precision: Pillow uses 22 bits, torch the most bits that keep the axis's largest weight within int16.

export type ResampleFilter = 'nearest' | 'bilinear' | 'bicubic';

/** PIL.Image.Resampling numbers as stored in preprocessor_config.json. */
export function resampleFromPil(code: number): ResampleFilter {
  if (code === 0) return 'nearest';
  if (code === 2) return 'bilinear';
  if (code === 3) return 'bicubic';
  throw new Error(`unsupported resample mode ${code} (supported: 0 nearest, 2 bilinear, 3 bicubic)`);
}

export type ResizeFlavor = 'torch' | 'pil';

const PIL_PRECISION_BITS = 32 - 8 - 2;

function bicubicPil(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}
/** Same kernel, evaluated in torch's operation order (cubic_convolution1/2). */
function bicubicTorch(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}
function triangle(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

interface Taps {
  /** First input index of each output pixel's window. */
  start: Int32Array;
  count: Int32Array;
  /** Fixed-point weights, `maxTaps` per output pixel. */
  weights: Float64Array;
  maxTaps: number;
  /** Fixed-point bits of the weights. */
  precision: number;
}

function computeTaps(inSize: number, outSize: number, filter: 'bilinear' | 'bicubic', flavor: ResizeFlavor): Taps {
  const fn = filter === 'bicubic' ? (flavor === 'torch' ? bicubicTorch : bicubicPil) : triangle;
  const baseSupport = filter === 'bicubic' ? 2 : 1;
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  const k = new Float64Array(maxTaps);
  const real = new Float64Array(outSize * maxTaps);
  let wtMax = 0;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < n; x++) {
      const w = fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    start[xx] = xmin;
    count[xx] = n;
    for (let x = 0; x < n; x++) {
      const w = ww === 0 ? 0 : k[x] / ww;
      real[xx * maxTaps + x] = w;
      if (ww !== 0 && w > wtMax) wtMax = w;
    }
  }
  let precision = PIL_PRECISION_BITS;
  if (flavor === 'torch') {
    for (precision = 0; precision < 22; precision++) {
      if (Math.trunc(0.5 + wtMax * 2 ** (precision + 1)) >= 1 << 15) break;
    }
  }
  const one = 2 ** precision;
  for (let i = 0; i < real.length; i++) {
    const v = real[i] * one;
    weights[i] = v < 0 ? Math.trunc(-0.5 + v) : Math.trunc(0.5 + v);
  }
  return { start, count, weights, maxTaps, precision };
}

const clip8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : v);

function resizeNearest(src: Uint8Array, w: number, h: number, ow: number, oh: number): Uint8Array {
  const out = new Uint8Array(ow * oh * 3);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow));
      const s = (sy * w + sx) * 3;
      const d = (y * ow + x) * 3;
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
  }
  return out;
}

/** Resizes packed RGB (HWC, 8-bit) from w x h to ow x oh. */
export function resizeRgb(
  src: Uint8Array,
  w: number,
  h: number,
  ow: number,
  oh: number,
  filter: ResampleFilter,
  flavor: ResizeFlavor = 'torch',
): Uint8Array {
  if (src.length !== w * h * 3) throw new Error(`resizeRgb: expected ${w * h * 3} bytes for ${w}x${h} RGB, got ${src.length}`);
  if (w === ow && h === oh) return src.slice();
  if (filter === 'nearest') return resizeNearest(src, w, h, ow, oh);

  let cur = src;
  let cw = w;
  if (ow !== w) {
    const t = computeTaps(w, ow, filter, flavor);
    const one = 2 ** t.precision;
    const half = t.precision > 0 ? 2 ** (t.precision - 1) : 0;
    const tmp = new Uint8Array(ow * h * 3);
    for (let y = 0; y < h; y++) {
      const row = y * w * 3;
      const orow = y * ow * 3;
      for (let xx = 0; xx < ow; xx++) {
        const base = xx * t.maxTaps;
        const n = t.count[xx];
        let p = row + t.start[xx] * 3;
        let r = half;
        let g = half;
        let b = half;
        for (let i = 0; i < n; i++, p += 3) {
          const k = t.weights[base + i];
          r += src[p] * k;
          g += src[p + 1] * k;
          b += src[p + 2] * k;
        }
        const o = orow + xx * 3;
        tmp[o] = clip8(Math.floor(r / one));
        tmp[o + 1] = clip8(Math.floor(g / one));
        tmp[o + 2] = clip8(Math.floor(b / one));
      }
    }
    cur = tmp;
    cw = ow;
  }
  if (oh === h) return cur === src ? src.slice() : cur;
  const t = computeTaps(h, oh, filter, flavor);
  const one = 2 ** t.precision;
  const half = t.precision > 0 ? 2 ** (t.precision - 1) : 0;
  const out = new Uint8Array(ow * oh * 3);
  const stride = cw * 3;
  for (let yy = 0; yy < oh; yy++) {
    const base = yy * t.maxTaps;
    const n = t.count[yy];
    const y0 = t.start[yy];
    const orow = yy * stride;
    for (let c = 0; c < stride; c++) {
      let acc = half;
      let p = y0 * stride + c;
      for (let i = 0; i < n; i++, p += stride) acc += cur[p] * t.weights[base + i];
      out[orow + c] = clip8(Math.floor(acc / one));
    }
  }
  return out;
}
