// The attention half of the Qwen-VL vision towers' blocks: the fused qkv projection (split at load), the 2-D rotary,
// and attention block-diagonal over segments of any lengths (HF cu_seqlens: temporal groups, or Qwen2.5-VL's windows)
// on Backend.attention's equal `blocks`, with per-segment column means for saliency.
import type { Backend, HostTensorData, Linear, Tensor } from '../backend/backend.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { loadTensors, type Loaded, type TensorSpec } from './tensor-spec.ts';

interface Run {
  start: number;
  /** Rows per segment and segments in the run. */
  len: number;
  count: number;
}

/** Segments (each a list of row indices) laid out for Backend.attention: segments of equal length that follow each
 *  other form one call with `blocks`; when the segments are not already in such runs, the rows are gathered into them
 *  (equal lengths together, in order of first appearance) and the result scattered back. */
export class AttentionSegments {
  /** Row order the runs are in (null: the rows' own order) and its inverse. */
  private readonly perm: Int32Array | null;
  private readonly inverse: Int32Array | null;
  private readonly runs: Run[];

  constructor(segments: readonly Int32Array[], readonly rows: number) {
    const byLen = new Map<number, Int32Array[]>();
    for (const s of segments) {
      if (s.length === 0) continue;
      const list = byLen.get(s.length);
      if (list) list.push(s); else byLen.set(s.length, [s]);
    }
    const perm = new Int32Array(rows);
    const seen = new Uint8Array(rows);
    this.runs = [];
    let o = 0;
    for (const [len, list] of byLen) {
      this.runs.push({ start: o, len, count: list.length });
      for (const s of list) {
        for (const r of s) {
          if (!(r >= 0 && r < rows) || seen[r]) throw new Error(`attention segments: row ${r} is outside [0, ${rows}) or in two segments`);
          seen[r] = 1;
          perm[o++] = r;
        }
      }
    }
    if (o !== rows) throw new Error(`attention segments cover ${o} of ${rows} rows`);
    const identity = perm.every((r, i) => r === i);
    this.perm = identity ? null : perm;
    this.inverse = identity ? null : invertPermutation(perm);
  }

  /** Block-diagonal attention of q, k, v [rows, heads*d] (heads == kv heads) over the segments. */
  attention(be: Backend, q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number): Tensor {
    const parts = this.perRun(be, [q, k, v], ([a, b, c], r) => be.attention(a, b, c, heads, heads, { scale, blocks: r.count }));
    const joined = parts.length === 1 ? parts[0] : be.concatRows(parts);
    if (parts.length > 1) for (const p of parts) be.dispose(p);
    if (!this.inverse) return joined;
    const out = be.gatherRows(joined, this.inverse);
    be.dispose(joined);
    return out;
  }

  /** Per row, the mean over heads and over its segment's query rows of softmax(q·kᵀ·scale) in its column: the
   *  attention each row receives within its segment (Backend.attentionColumnMean with `blocks`, one call per run). */
  columnMeans(be: Backend, q: Tensor, k: Tensor, heads: number, scale: number): Float32Array {
    const inRunOrder = new Float32Array(this.rows);
    this.perRun(be, [q, k], ([a, b], r) => inRunOrder.set(be.attentionColumnMean(a, b, heads, scale, r.count), r.start));
    if (!this.perm) return inRunOrder;
    const out = new Float32Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[this.perm[i]] = inRunOrder[i];
    return out;
  }

  /** f on each run's rows of the inputs (gathered into run order, sliced per run; temporaries freed). */
  private perRun<R>(be: Backend, xs: Tensor[], f: (xs: Tensor[], run: Run) => R): R[] {
    const ordered = this.perm ? xs.map((x) => be.gatherRows(x, this.perm!)) : xs;
    const out = this.runs.map((r) => {
      const whole = r.start === 0 && r.len * r.count === this.rows;
      const parts = whole ? ordered : ordered.map((x) => be.sliceRows(x, r.start, r.start + r.len * r.count));
      const res = f(parts, r);
      if (!whole) for (const x of parts) be.dispose(x);
      return res;
    });
    if (this.perm) for (const x of ordered) be.dispose(x);
    return out;
  }
}

export function invertPermutation(p: Int32Array): Int32Array {
  const inv = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) inv[p[i]] = i;
  return inv;
}

/** The towers' 2-D rotary (HF Qwen2_5_VLVisionRotaryEmbedding, axial): per head of d dims, rotate-half pairs
 *  (i, i + d/2) turn by h·f[i] for i < d/4 and by w·f[i - d/4] for d/4 <= i < d/2, f[j] = theta^(-4j/d), as one
 *  Backend.ropeAngles table (built once per batch; every layer's q and k reuse it). */
export class VisionRotary {
  private readonly angles: Float32Array;

  constructor(headDim: number, theta: number, h: Int32Array, w: Int32Array) {
    const quarter = headDim / 4, half = headDim / 2;
    // float32 like HF: 1 / theta ** (arange(0, d/2, 2) / (d/2)), then position * inv_freq.
    const f = Float32Array.from({ length: quarter }, (_, j) => Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / half))));
    this.angles = new Float32Array(h.length * half);
    for (let r = 0; r < h.length; r++) {
      for (let j = 0; j < quarter; j++) {
        this.angles[r * half + j] = h[r] * f[j];
        this.angles[r * half + quarter + j] = w[r] * f[j];
      }
    }
  }

  apply(be: Backend, x: Tensor, heads: number): Tensor {
    return be.ropeAngles(x, heads, this.angles);
  }
}

/** A fused [3H, H] qkv projection (HF attn.qkv: output columns are q, then k, then v) loaded as three linears. */
export function loadSplitQkv(be: Backend, src: WeightSource, spec: { w: TensorSpec; b?: TensorSpec }): { q: Linear; k: Linear; v: Linear } {
  const split = (s: TensorSpec) => {
    const data = src.get(s.name, s.shape);
    const shape = [s.shape[0] / 3, ...s.shape.slice(1)], part = data.bytes.length / 3;
    return [0, 1, 2].map((i) => {
      if (!isDeviceRandom(data)) return be.weight({ dtype: data.dtype, shape, bytes: data.bytes.subarray(i * part, (i + 1) * part) });
      // Synthetic weights the device draws itself (benchmarks, models/synthetic.ts): each part its own draw.
      const r = data.deviceRandom;
      const drawn: DeviceRandom = { ...data, shape, deviceRandom: 'seed' in r ? { ...r, seed: r.seed + i } : r };
      return be.weight(drawn);
    });
  };
  const w = split(spec.w), b = spec.b ? split(spec.b) : [undefined, undefined, undefined];
  return { q: { w: w[0], b: b[0] }, k: { w: w[1], b: b[1] }, v: { w: w[2], b: b[2] } };
}

type DeviceRandom = HostTensorData & { deviceRandom: { seed: number; std: number } | { fill: number } };

function isDeviceRandom(d: HostTensorData): d is DeviceRandom {
  return 'deviceRandom' in d;
}

/** q, k, v as three linears (the fused qkv split at load). */
export interface SplitQkv {
  q: Linear;
  k: Linear;
  v: Linear;
}

/** A block's tensors loaded, its fused `qkv` split into q, k, v. */
export type LoadedBlock<S> = Omit<Loaded<S>, 'qkv'> & { qkv: SplitQkv };

export function loadBlocks<S extends { qkv: { w: TensorSpec; b?: TensorSpec } }>(be: Backend, src: WeightSource,
  specs: readonly S[]): LoadedBlock<S>[] {
  return specs.map((b) => {
    const { qkv, ...rest } = b;
    // The loaded shape is LoadedBlock<S>; typing it through loadTensors' generic would recurse without end.
    const others = (loadTensors as (be: Backend, src: WeightSource, tree: object) => object)(be, src, rest);
    return { ...others, qkv: loadSplitQkv(be, src, qkv) } as LoadedBlock<S>;
  });
}

/** A block's attention half after its norm `n` (freed here): q, k, v projections, the 2-D rotary, attention over the
 *  segments; with `saliency`, also the column means of that layer's attention (per row, in the tower's order). */
export function visionSelfAttention(be: Backend, n: Tensor, qkv: SplitQkv, rotary: VisionRotary, segments: AttentionSegments,
  heads: number, headDim: number, saliency: boolean): { out: Tensor; saliency: Float32Array | null } {
  const q0 = be.linear(n, qkv.q.w, qkv.q.b), k0 = be.linear(n, qkv.k.w, qkv.k.b), v = be.linear(n, qkv.v.w, qkv.v.b);
  be.dispose(n);
  const q = rotary.apply(be, q0, heads), k = rotary.apply(be, k0, heads);
  be.dispose(q0); be.dispose(k0);
  const scale = 1 / Math.sqrt(headDim);
  const sal = saliency ? segments.columnMeans(be, q, k, heads, scale) : null;
  const out = segments.attention(be, q, k, v, heads, scale);
  be.dispose(q); be.dispose(k); be.dispose(v);
  return { out, saliency: sal };
}
