// One Qwen2 decoder layer to 4 bits: AWQ (scale search per group, inverse scales folded into the op before, optional
// clip search, then round-to-nearest) or plain round-to-nearest; with each linear's error on the calibration rows.
import { dequantizeAwq, type AwqUnpacked } from '../checkpoint/awq-layout.ts';
import type { Backend } from '../backend/backend.ts';
import { searchClip } from './clip-search.ts';
import { quantizeGroups, type Matrix } from './group-quant.ts';
import { HostMatmul, sqDiff, sqNorm, type Activations } from './matmul.ts';
import { GROUP_KINDS, GROUP_MEMBERS, LINEARS, type GroupKind, type LinearName } from './qwen2-groups.ts';
import { expandScales, searchScales } from './scale-search.ts';

export type QuantMethod = 'awq' | 'rtn';

export interface LayerWeights {
  linears: Record<LinearName, Matrix>;
  biases: Partial<Record<LinearName, Float32Array>>;
  inputNorm: Float32Array;
  postNorm: Float32Array;
}

export interface LayerQuantOptions {
  be: Backend;
  method: QuantMethod;
  groupSize: number;
  /** AWQ's clip search (not for q/k, whose errors the softmax amplifies; the reference implementation skips them too). */
  clip: boolean;
  /** o_proj's input feature -> value channel (qwen2-groups.ts valueChannelOf) and the value width. */
  valueChannelOf: Int32Array;
  valueDim: number;
}

/** What quantization did to one linear, measured on its calibration inputs against the 16-bit layer. */
export interface LinearReport {
  linear: LinearName;
  /** ||X·Ŵᵀ − X·Wᵀ|| / ||X·Wᵀ||, Ŵ the 4-bit weight with AWQ's scales undone (the layer as the model sees it). */
  outputError: number;
  /** ||Ŵ − W|| / ||W||. */
  weightError: number;
  /** The group's AWQ exponent (0 = plain rounding); null for rtn. */
  alpha: number | null;
  /** Share of (channel, group) blocks whose range the clip search narrowed. */
  clipped: number;
}

export interface QuantizedLayer {
  linears: Record<LinearName, { q: AwqUnpacked; bias?: Float32Array }>;
  /** The norms with AWQ's inverse scales folded in (unchanged for rtn). */
  inputNorm: Float32Array;
  postNorm: Float32Array;
  reports: LinearReport[];
}

function divide(v: Float32Array, s: Float32Array | null): Float32Array {
  return s ? v.map((x, i) => x / s[i]) : v;
}

function scaleMatrix(w: Matrix, row: Float32Array | null, col: Float32Array | null): Matrix {
  if (!row && !col) return w;
  const data = new Float32Array(w.data.length);
  for (let o = 0; o < w.out; o++) {
    const r = row ? row[o] : 1;
    for (let i = 0; i < w.in; i++) data[o * w.in + i] = w.data[o * w.in + i] * r * (col ? col[i] : 1);
  }
  return { out: w.out, in: w.in, data };
}

function scaleActivations(x: Activations, col: Float32Array | null): Activations {
  if (!col) return x;
  const data = new Float32Array(x.data.length);
  for (let r = 0; r < x.rows; r++) for (let i = 0; i < x.in; i++) data[r * x.in + i] = x.data[r * x.in + i] / col[i];
  return { data, rows: x.rows, in: x.in };
}

const groupOf = (n: LinearName): GroupKind => GROUP_KINDS.find((k) => GROUP_MEMBERS[k].includes(n))!;

/** AWQ's scales of a layer: per linear, the factors applied to its input columns and (v_proj, up_proj: the op that
 *  feeds a scaled group) to its output rows; the norms divided by their group's scales; each group's α. */
export interface LayerScales {
  col: Partial<Record<LinearName, Float32Array>>;
  row: Partial<Record<LinearName, Float32Array>>;
  inputNorm: Float32Array;
  postNorm: Float32Array;
  alpha: Partial<Record<GroupKind, number>>;
}

export function searchLayerScales(w: LayerWeights, mm: Record<GroupKind, HostMatmul>, opts: LayerQuantOptions): LayerScales {
  const out: LayerScales = { col: {}, row: {}, inputNorm: w.inputNorm, postNorm: w.postNorm, alpha: {} };
  for (const kind of GROUP_KINDS) {
    const o = kind === 'o';
    const r = searchScales({
      matmul: mm[kind], linears: GROUP_MEMBERS[kind].map((n) => w.linears[n]), groupSize: opts.groupSize,
      channelOf: o ? opts.valueChannelOf : null, channels: o ? opts.valueDim : undefined,
    });
    out.alpha[kind] = r.alpha;
    const s = expandScales(r.scales, o ? opts.valueChannelOf : null);
    for (const n of GROUP_MEMBERS[kind]) out.col[n] = s;
    const inv = r.scales.map((x) => 1 / x);
    if (kind === 'qkv') out.inputNorm = divide(w.inputNorm, r.scales);
    else if (kind === 'gateUp') out.postNorm = divide(w.postNorm, r.scales);
    else if (kind === 'o') out.row.v = inv;
    else out.row.up = inv;
  }
  return out;
}

/** The layer with the scales folded in: the same function in exact arithmetic (what gets quantized). */
export function foldScales(w: LayerWeights, s: LayerScales): LayerWeights {
  const linears = {} as LayerWeights['linears'], biases: LayerWeights['biases'] = {};
  for (const n of LINEARS) {
    const rs = s.row[n] ?? null, b = w.biases[n];
    linears[n] = scaleMatrix(w.linears[n], rs, s.col[n] ?? null);
    if (b) biases[n] = rs ? b.map((x, i) => x * rs[i]) : b;
  }
  return { linears, biases, inputNorm: s.inputNorm, postNorm: s.postNorm };
}

export function quantizeLayer(w: LayerWeights, acts: Record<GroupKind, Activations>, opts: LayerQuantOptions): QuantizedLayer {
  const mm = Object.fromEntries(GROUP_KINDS.map((k) => [k, new HostMatmul(opts.be, acts[k])])) as Record<GroupKind, HostMatmul>;
  try {
    const scales: LayerScales = opts.method === 'awq' ? searchLayerScales(w, mm, opts)
      : { col: {}, row: {}, inputNorm: w.inputNorm, postNorm: w.postNorm, alpha: {} };
    const folded = foldScales(w, scales);
    const linears = {} as QuantizedLayer['linears'];
    const reports: LinearReport[] = [];
    for (const n of LINEARS) {
      const kind = groupOf(n), c = scales.col[n] ?? null, rs = scales.row[n] ?? null, orig = w.linears[n], scaled = folded.linears[n];
      const clip = opts.method === 'awq' && opts.clip && n !== 'q' && n !== 'k'
        ? searchClip(scaled, scaleActivations(acts[kind], c), opts.groupSize) : undefined;
      const q = quantizeGroups(scaled, opts.groupSize, clip?.bounds);
      linears[n] = { q, bias: folded.biases[n] };
      // The 4-bit weight as the original layer sees it (scales undone), against the original on the same inputs.
      const eff = scaleMatrix({ out: orig.out, in: orig.in, data: dequantizeAwq(q) }, rs && rs.map((x) => 1 / x), c && c.map((x) => 1 / x));
      const ref = mm[kind].times(orig), got = mm[kind].times(eff);
      reports.push({
        linear: n,
        outputError: Math.sqrt(sqDiff(got, ref) / Math.max(sqNorm(ref), 1e-30)),
        weightError: Math.sqrt(sqDiff(eff.data, orig.data) / Math.max(sqNorm(orig.data), 1e-30)),
        alpha: opts.method === 'awq' ? scales.alpha[kind]! : null,
        clipped: clip?.narrowed ?? 0,
      });
    }
    return { linears, inputNorm: folded.inputNorm, postNorm: folded.postNorm, reports };
  } finally {
    for (const k of GROUP_KINDS) mm[k].dispose();
  }
}
