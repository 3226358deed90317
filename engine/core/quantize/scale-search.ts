// AWQ's activation-aware scale search (Lin et al., "AWQ", MLSys 2024, §3.2) for linears that share one input X:
// per input channel c, s[c] = mean|X[:, c]|^α; the weights become W·diag(s) (quantized) and the input X·diag(1/s)
// (folded into the op before, see fold-scales.ts), so salient channels lose less to rounding. α is grid-searched
// on the calibration rows to minimise the squared error of the group's outputs against the 16-bit ones.
import { fakeQuantize, type Matrix } from './group-quant.ts';
import { HostMatmul, sqDiff } from './matmul.ts';

export const ALPHA_GRID = 20;

export interface ScaleSearchInput {
  matmul: HostMatmul;
  linears: readonly Matrix[];
  groupSize: number;
  /** Scale channel of each input feature when several share one (o_proj under grouped-query attention: the heads
   *  that read one value head share its scales, since they are folded into v_proj's rows); null: one per feature. */
  channelOf?: Int32Array | null;
  /** Channels of the scale vector (input features when channelOf is null). */
  channels?: number;
}

export interface ScaleSearchResult {
  /** One per scale channel. */
  scales: Float32Array;
  alpha: number;
  /** Mean squared output error of the group at the chosen α, and at α = 0 (plain round-to-nearest). */
  err: number;
  errRtn: number;
}

/** s per input feature from s per channel. */
export function expandScales(s: Float32Array, channelOf: Int32Array | null | undefined): Float32Array {
  if (!channelOf) return s;
  return Float32Array.from(channelOf, (c) => s[c]);
}

/** mean |x| per scale channel. */
export function activationMeans(x: { data: Float32Array; rows: number; in: number }, channelOf: Int32Array | null | undefined, channels: number): Float64Array {
  const sum = new Float64Array(channels), count = new Float64Array(channels);
  for (let r = 0; r < x.rows; r++) {
    for (let i = 0; i < x.in; i++) {
      const c = channelOf ? channelOf[i] : i;
      sum[c] += Math.abs(x.data[r * x.in + i]);
      count[c]++;
    }
  }
  for (let c = 0; c < channels; c++) sum[c] /= Math.max(1, count[c]);
  return sum;
}

/** s = mean^α, clamped away from 0 and normalised so that max·min = 1 (as the reference implementation does). */
export function scalesForAlpha(mean: Float64Array, alpha: number): Float32Array {
  const s = new Float32Array(mean.length);
  let mx = -Infinity, mn = Infinity;
  for (let c = 0; c < s.length; c++) {
    s[c] = Math.max(mean[c] ** alpha, 1e-4);
    mx = Math.max(mx, s[c]); mn = Math.min(mn, s[c]);
  }
  const norm = Math.sqrt(mx * mn);
  for (let c = 0; c < s.length; c++) s[c] /= norm;
  return s;
}

/** W·diag(s) (columns scaled). */
export function scaleColumns(w: Matrix, s: Float32Array): Matrix {
  const data = new Float32Array(w.data.length);
  for (let o = 0; o < w.out; o++) for (let i = 0; i < w.in; i++) data[o * w.in + i] = w.data[o * w.in + i] * s[i];
  return { out: w.out, in: w.in, data };
}

/** The group's output error when each W is replaced by Q(W·diag(s))·diag(1/s). */
function outputError(inp: ScaleSearchInput, ref: Float32Array[], sFeat: Float32Array): number {
  let err = 0, n = 0;
  inp.linears.forEach((w, j) => {
    const q = fakeQuantize(scaleColumns(w, sFeat), inp.groupSize);
    for (let o = 0; o < w.out; o++) for (let i = 0; i < w.in; i++) q[o * w.in + i] /= sFeat[i];
    const y = inp.matmul.times({ out: w.out, in: w.in, data: q });
    err += sqDiff(y, ref[j]);
    n += y.length;
  });
  return err / n;
}

export function searchScales(inp: ScaleSearchInput): ScaleSearchResult {
  const channels = inp.channels ?? inp.matmul.acts.in;
  const mean = activationMeans(inp.matmul.acts, inp.channelOf, channels);
  const ref = inp.linears.map((w) => inp.matmul.times(w));
  let best: ScaleSearchResult | null = null;
  let errRtn = NaN;
  for (let k = 0; k < ALPHA_GRID; k++) {
    const alpha = k / ALPHA_GRID;
    const s = scalesForAlpha(mean, alpha);
    const err = outputError(inp, ref, expandScales(s, inp.channelOf));
    if (k === 0) errRtn = err;
    if (!best || err < best.err) best = { scales: s, alpha, err, errRtn: NaN };
  }
  return { ...best!, errRtn };
}
