// The CPU backend: GEMMs, attention, GELU, SiLU·mul and LayerNorm run in onnxruntime-node graphs (multi-threaded,
// vectorized); cheap row-wise ops (RMSNorm, RoPE, add, gathers, pooling) are plain loops over Float32Arrays.
import { availableParallelism, cpus } from 'node:os';
import type { AttentionOptions, AwqPacked, Backend, I8Weight, HostTensorData, KvCache, KvTopK, LayerOps, PageSlots, PageTable, PageTableSpec, Tensor } from '../backend.ts';
import { fullPages, pageBoundsHost, pageScoresHost, pageSlotsHost, selectPagesHost } from '../../sparse/pages-ref.ts';
import { PrimitiveLayerOps } from '../layer-ops.ts';
import { hostToF32 } from '../dtype.ts';
import {
  GraphCache, attentionColSumGraph, attentionGraph, geluGraph, layerNormGraph, linearGraph, ortTensor, siluMulGraph,
} from './ort-graphs.ts';
import { CpuQ4Tensor, cpuWeightQ4 } from './cpu-q4.ts';
import { CpuI8Tensor, DEFAULT_I8_KERNEL, I8_OPSET, i8LinearGraph, type I8Kernel } from './cpu-i8.ts';

export class CpuTensor implements Tensor {
  readonly dtype = 'f32' as const;
  private ortCache: unknown = null;
  constructor(readonly data: Float32Array, readonly shape: readonly number[]) {
    const n = shape.reduce((a, x) => a * x, 1);
    if (n !== data.length) throw new Error(`CpuTensor: shape ${JSON.stringify(shape)} needs ${n} elements, got ${data.length}`);
  }
  get rows(): number { return this.shape.length === 1 ? 1 : this.shape[0]; }
  get cols(): number { return this.shape[this.shape.length - 1]; }
  /** An ORT tensor over the same memory (no copy); cached, since weights are fed on every call. */
  ort(): unknown {
    if (!this.ortCache) this.ortCache = ortTensor(this.data, this.shape);
    return this.ortCache;
  }
}

/** Page bounds per layer on the host (pages-ref.ts), and the pages chosen since the last kvPageLog. */
class CpuPageTable implements PageTable {
  readonly log: Int32Array[] = [];
  constructor(readonly cache: CpuKvCache, readonly spec: Readonly<PageTableSpec>, readonly pages: number, readonly bounds: Float32Array[]) {}
}
class CpuPageSlots implements PageSlots {
  constructor(readonly slots: Int32Array) {}
  get count(): number {
    return this.slots.length;
  }
}

class CpuKvCache implements KvCache {
  length = 0;
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  constructor(readonly layers: number, readonly kvHeads: number, readonly headDim: number, readonly capacity: number) {
    const row = kvHeads * headDim;
    this.k = Array.from({ length: layers }, () => new Float32Array(capacity * row));
    this.v = Array.from({ length: layers }, () => new Float32Array(capacity * row));
  }
}

/** A quantized linear's bias, checked against its N outputs. */
function biasOf(b: Tensor, N: number): CpuTensor {
  const bt = t(b);
  if (bt.data.length !== N) throw new Error(`linear: bias has ${bt.data.length} values, weight has ${N} outputs`);
  return bt;
}

function t(x: Tensor): CpuTensor {
  if (x instanceof CpuQ4Tensor || x instanceof CpuI8Tensor) throw new Error(`CPU backend: a ${x.dtype === 'q4' ? '4' : '8'}-bit weight can only be a linear layer's weight`);
  if (!(x instanceof CpuTensor)) throw new Error('CPU backend got a tensor from another backend');
  return x;
}

function as2d(x: CpuTensor): [number, number] {
  return x.shape.length === 1 ? [1, x.shape[0]] : [x.shape[0], x.data.length / x.shape[0]];
}

/** Query rows per attention call so that heads × rows × keys floats stay under this many. */
const ATTN_BLOCK_FLOATS = 1 << 23;
const MASKED = -1e30;

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly device: string;
  readonly layerOps: LayerOps = new PrimitiveLayerOps(this);
  /** Logits are sampled on the host. */
  readonly deviceSampler = null;
  private graphs: GraphCache;
  private i8Kernel: I8Kernel;

  /** i8Kernel: the onnxruntime operators of the int8 linears (cpu-i8.ts; the choice is for measuring them). */
  constructor(opts: { threads?: number; i8Kernel?: I8Kernel } = {}) {
    this.graphs = new GraphCache(opts.threads);
    this.i8Kernel = opts.i8Kernel ?? DEFAULT_I8_KERNEL;
    const model = cpus()[0]?.model?.trim() ?? 'CPU';
    this.device = `${model} (${this.graphs.threads} of ${availableParallelism()} threads, onnxruntime-node)`;
  }

  weight(data: HostTensorData): Tensor {
    return new CpuTensor(hostToF32(data), data.shape);
  }
  /** MatMulNBits on the packed weight (cpu-q4.ts); group sizes it does not take are dequantized to f32 here. */
  weightQ4(p: AwqPacked): Tensor {
    const w = cpuWeightQ4(p, this.graphs.threads);
    return w instanceof CpuQ4Tensor ? w : new CpuTensor(w, [p.out, p.in]);
  }
  /** onnxruntime int8 GEMMs with the activation quantized per row in the graph (cpu-i8.ts). */
  weightI8(w: I8Weight): Tensor {
    return new CpuI8Tensor(w);
  }
  fromHost(data: Float32Array, shape: readonly number[]): Tensor {
    return new CpuTensor(data, [...shape]);
  }
  toHost(x: Tensor): Float32Array {
    return t(x).data;
  }
  dispose(): void {}
  sync(): void {}

  embed(table: Tensor, ids: Int32Array): Tensor {
    const tb = t(table);
    const [V, D] = as2d(tb);
    const out = new Float32Array(ids.length * D);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id >= V) throw new Error(`token id ${id} out of range [0, ${V})`);
      out.set(tb.data.subarray(id * D, id * D + D), i * D);
    }
    return new CpuTensor(out, [ids.length, D]);
  }

  linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
    if (w instanceof CpuQ4Tensor) return this.linearQ4(t(x), w, b);
    if (w instanceof CpuI8Tensor) return this.linearI8(t(x), w, b);
    const xt = t(x), wt = t(w);
    const [M, K] = as2d(xt);
    if (wt.shape.length !== 2 || wt.shape[1] !== K) throw new Error(`linear: x [${M}, ${K}] vs weight ${JSON.stringify(wt.shape)}`);
    const g = this.graphs.get(b ? 'linear_b' : 'linear', () => linearGraph(Boolean(b)));
    const feeds: Record<string, unknown> = { x: ortTensor(xt.data, [M, K]), w: wt.ort() };
    if (b) feeds.b = t(b).ort();
    const r = g.run(feeds);
    return new CpuTensor(r.data, [M, wt.shape[0]]);
  }

  private linearQ4(xt: CpuTensor, w: CpuQ4Tensor, b?: Tensor): Tensor {
    const [M, K] = as2d(xt), [N, wK] = w.shape;
    if (K !== wK) throw new Error(`linear: x [${M}, ${K}] vs 4-bit weight [${N}, ${wK}]`);
    const y = w.graph.run({ x: ortTensor(xt.data, [M, K]) }).data;
    if (b) {
      const bd = biasOf(b, N).data;
      for (let r = 0; r < M; r++) for (let n = 0; n < N; n++) y[r * N + n] += bd[n];
    }
    return new CpuTensor(y, [M, N]);
  }

  private linearI8(xt: CpuTensor, w: CpuI8Tensor, b?: Tensor): Tensor {
    const [M, K] = as2d(xt), [N, wK] = w.shape;
    if (K !== wK) throw new Error(`linear: x [${M}, ${K}] vs 8-bit weight [${N}, ${wK}]`);
    const feeds: Record<string, unknown> = { x: ortTensor(xt.data, [M, K]), ...w.feeds };
    if (b) feeds.b = biasOf(b, N).ort();
    const g = this.graphs.get(`i8_${this.i8Kernel}_${b ? 1 : 0}`, () => i8LinearGraph(Boolean(b), this.i8Kernel), I8_OPSET);
    return new CpuTensor(g.run(feeds).data, [M, N]);
  }

  rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor {
    const xt = t(x), wd = t(w).data;
    const [rows, cols] = as2d(xt);
    const N = wd.length, M = rows * cols / N;
    if (!Number.isInteger(M)) throw new Error(`rmsNorm: ${cols} columns are not runs of the weight's ${N}`);
    const out = new Float32Array(M * N);
    const xd = xt.data;
    for (let r = 0; r < M; r++) {
      const o = r * N;
      let ss = 0;
      for (let i = 0; i < N; i++) ss += xd[o + i] * xd[o + i];
      const inv = 1 / Math.sqrt(ss / N + eps);
      for (let i = 0; i < N; i++) out[o + i] = wd[i] * Math.fround(xd[o + i] * inv);
    }
    return new CpuTensor(out, [rows, cols]);
  }

  layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
    const xt = t(x);
    const [M, N] = as2d(xt);
    const g = this.graphs.get(`ln_${eps}`, () => layerNormGraph(eps));
    const r = g.run({ x: ortTensor(xt.data, [M, N]), w: t(w).ort(), b: t(b).ort() });
    return new CpuTensor(r.data, [M, N]);
  }

  add(a: Tensor, b: Tensor): Tensor {
    const ad = t(a).data, bd = t(b).data;
    if (ad.length !== bd.length) throw new Error(`add: sizes ${ad.length} vs ${bd.length}`);
    const out = new Float32Array(ad.length);
    for (let i = 0; i < ad.length; i++) out[i] = ad[i] + bd[i];
    return new CpuTensor(out, t(a).shape);
  }

  gelu(x: Tensor, kind: 'tanh' | 'erf'): Tensor {
    const xt = t(x);
    const [M, N] = as2d(xt);
    const r = this.graphs.get(`gelu_${kind}`, () => geluGraph(kind), 20).run({ x: ortTensor(xt.data, [M, N]) });
    return new CpuTensor(r.data, xt.shape);
  }

  siluMul(gate: Tensor, up: Tensor): Tensor {
    const gt = t(gate);
    const [M, N] = as2d(gt);
    const r = this.graphs.get('silumul', siluMulGraph).run({ g: ortTensor(gt.data, [M, N]), u: ortTensor(t(up).data, [M, N]) });
    return new CpuTensor(r.data, gt.shape);
  }

  rope(x: Tensor, heads: number, positions: Int32Array, invFreq: Float32Array): Tensor {
    const [T, W] = as2d(t(x));
    const half = W / heads / 2;
    if (invFreq.length !== half) throw new Error(`rope: invFreq has ${invFreq.length} entries, head dim ${2 * half} needs ${half}`);
    if (positions.length !== T) throw new Error(`rope: ${positions.length} positions for ${T} rows`);
    // Angles in float32 like HF (inv_freq and position products are float32 there).
    return this.rotateHalf(x, heads, (r, i) => Math.fround(positions[r] * invFreq[i]));
  }

  ropeAngles(x: Tensor, heads: number, angles: Float32Array): Tensor {
    const [T, W] = as2d(t(x));
    const half = W / heads / 2;
    if (angles.length !== T * half) throw new Error(`ropeAngles: ${angles.length} angles for ${T} rows of ${half} frequencies`);
    return this.rotateHalf(x, heads, (r, i) => angles[r * half + i]);
  }

  private rotateHalf(x: Tensor, heads: number, angle: (row: number, i: number) => number): Tensor {
    const xt = t(x);
    const [T, W] = as2d(xt);
    const d = W / heads, half = d / 2;
    if (!Number.isInteger(half)) throw new Error(`rope: ${W} columns do not split into ${heads} even heads`);
    const out = new Float32Array(T * W);
    const cos = new Float32Array(half), sin = new Float32Array(half);
    const xd = xt.data;
    for (let r = 0; r < T; r++) {
      for (let i = 0; i < half; i++) {
        const a = angle(r, i);
        cos[i] = Math.cos(a);
        sin[i] = Math.sin(a);
      }
      for (let h = 0; h < heads; h++) {
        const o = r * W + h * d;
        for (let i = 0; i < half; i++) {
          const x1 = xd[o + i], x2 = xd[o + half + i];
          out[o + i] = Math.fround(x1 * cos[i]) - Math.fround(x2 * sin[i]);
          out[o + half + i] = Math.fround(x2 * cos[i]) + Math.fround(x1 * sin[i]);
        }
      }
    }
    return new CpuTensor(out, [T, W]);
  }

  gatherRows(x: Tensor, idx: Int32Array): Tensor {
    const xt = t(x);
    const [M, N] = as2d(xt);
    const out = new Float32Array(idx.length * N);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i];
      if (r < 0 || r >= M) throw new Error(`gatherRows: row ${r} out of range [0, ${M})`);
      out.set(xt.data.subarray(r * N, r * N + N), i * N);
    }
    return new CpuTensor(out, [idx.length, N]);
  }

  concatRows(parts: readonly Tensor[]): Tensor {
    if (parts.length === 0) throw new Error('concatRows: nothing to concatenate');
    const N = as2d(t(parts[0]))[1];
    let rows = 0;
    for (const p of parts) {
      const [m, n] = as2d(t(p));
      if (n !== N) throw new Error(`concatRows: widths ${N} vs ${n}`);
      rows += m;
    }
    const out = new Float32Array(rows * N);
    let o = 0;
    for (const p of parts) { out.set(t(p).data, o); o += t(p).data.length; }
    return new CpuTensor(out, [rows, N]);
  }

  sliceRows(x: Tensor, start: number, end: number): Tensor {
    const xt = t(x);
    const [M, N] = as2d(xt);
    if (start < 0 || end > M || start > end) throw new Error(`sliceRows: [${start}, ${end}) out of [0, ${M})`);
    return new CpuTensor(xt.data.subarray(start * N, end * N), [end - start, N]);
  }

  reshape(x: Tensor, rows: number, cols: number): Tensor {
    const xt = t(x);
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0) || rows * cols !== xt.data.length) {
      throw new Error(`reshape: ${JSON.stringify(xt.shape)} (${xt.data.length} elements) cannot be viewed as ${rows} x ${cols}`);
    }
    return new CpuTensor(xt.data, [rows, cols]);
  }

  bilinearResize(x: Tensor, frames: number, h: number, w: number, oh: number, ow: number): Tensor {
    const xt = t(x);
    const C = as2d(xt)[1];
    if (xt.data.length !== frames * h * w * C) throw new Error(`bilinearResize: ${xt.data.length} elements is not ${frames}×${h}×${w}×${C}`);
    const out = new Float32Array(frames * oh * ow * C);
    // PyTorch's align_corners=False source index: (dst + 0.5) * in/out - 0.5, clamped at 0.
    const axis = (inn: number, outn: number) => {
      const i0 = new Int32Array(outn), i1 = new Int32Array(outn), l1 = new Float32Array(outn);
      const scale = inn / outn;
      for (let o = 0; o < outn; o++) {
        const src = Math.max(0, Math.fround(Math.fround(scale * (o + 0.5)) - 0.5));
        const a = Math.min(Math.floor(src), inn - 1);
        i0[o] = a;
        i1[o] = Math.min(a + 1, inn - 1);
        l1[o] = Math.fround(src - a);
      }
      return { i0, i1, l1 };
    };
    const ay = axis(h, oh), ax = axis(w, ow);
    const xd = xt.data;
    for (let f = 0; f < frames; f++) {
      const fb = f * h * w;
      for (let y = 0; y < oh; y++) {
        const wy1 = ay.l1[y], wy0 = 1 - wy1;
        for (let xx = 0; xx < ow; xx++) {
          const wx1 = ax.l1[xx], wx0 = 1 - wx1;
          const p00 = (fb + ay.i0[y] * w + ax.i0[xx]) * C, p01 = (fb + ay.i0[y] * w + ax.i1[xx]) * C;
          const p10 = (fb + ay.i1[y] * w + ax.i0[xx]) * C, p11 = (fb + ay.i1[y] * w + ax.i1[xx]) * C;
          const o = ((f * oh + y) * ow + xx) * C;
          for (let c = 0; c < C; c++) {
            out[o + c] = wy0 * (wx0 * xd[p00 + c] + wx1 * xd[p01 + c]) + wy1 * (wx0 * xd[p10 + c] + wx1 * xd[p11 + c]);
          }
        }
      }
    }
    return new CpuTensor(out, [frames * oh * ow, C]);
  }

  /** Additive mask [rows, keys] for query rows [r0, r1): key j (cache slot keySlots[j] or j) visible iff slot <= causalBase + row. */
  private causalMask(r0: number, r1: number, nk: number, causalBase: number, keySlots?: Int32Array): Float32Array | null {
    const rows = r1 - r0;
    const lastRowLimit = causalBase + r1 - 1;
    const maxSlot = keySlots ? keySlots[keySlots.length - 1] : nk - 1;
    if (causalBase + r0 >= maxSlot) return null; // every key visible to every row
    void lastRowLimit;
    const m = new Float32Array(rows * nk);
    for (let i = 0; i < rows; i++) {
      const lim = causalBase + r0 + i;
      for (let j = 0; j < nk; j++) {
        const s = keySlots ? keySlots[j] : j;
        if (s > lim) m[i * nk + j] = MASKED;
      }
    }
    return m;
  }

  private attend(qt: CpuTensor, k: Float32Array, v: Float32Array, nk: number, heads: number, kvHeads: number,
    opts: AttentionOptions, keySlots?: Int32Array): CpuTensor {
    const [Tq, W] = as2d(qt);
    const d = W / heads;
    const kw = kvHeads * d;
    const out = new Float32Array(Tq * W);
    const block = Math.max(1, Math.floor(ATTN_BLOCK_FLOATS / (heads * nk)));
    const kT = ortTensor(k.subarray(0, nk * kw), [nk, kw]);
    const vT = ortTensor(v.subarray(0, nk * kw), [nk, kw]);
    for (let r0 = 0; r0 < Tq; r0 += block) {
      const r1 = Math.min(Tq, r0 + block);
      const mask = opts.causalBase === undefined ? null : this.causalMask(r0, r1, nk, opts.causalBase, keySlots);
      const g = this.graphs.get(`attn_${heads}_${kvHeads}_${d}_${opts.scale}_${mask ? 1 : 0}`,
        () => attentionGraph(heads, kvHeads, d, opts.scale, Boolean(mask)));
      const feeds: Record<string, unknown> = { q: ortTensor(qt.data.subarray(r0 * W, r1 * W), [r1 - r0, W]), k: kT, v: vT };
      if (mask) feeds.mask = ortTensor(mask, [r1 - r0, nk]);
      out.set(g.run(feeds).data, r0 * W);
    }
    return new CpuTensor(out, [Tq, W]);
  }

  /** Column sums over heads and query rows of softmax(q·kᵀ·scale), query block by query block (memory O(block·T)). */
  private colSums(qt: CpuTensor, k: Float32Array, nk: number, heads: number, kvHeads: number, scale: number,
    causalBase?: number): Float32Array {
    const [Tq, W] = as2d(qt);
    const d = W / heads;
    const kw = kvHeads * d;
    const sums = new Float64Array(nk);
    const block = Math.max(1, Math.floor(ATTN_BLOCK_FLOATS / (heads * nk)));
    const kT = ortTensor(k.subarray(0, nk * kw), [nk, kw]);
    for (let r0 = 0; r0 < Tq; r0 += block) {
      const r1 = Math.min(Tq, r0 + block);
      const mask = causalBase === undefined ? null : this.causalMask(r0, r1, nk, causalBase);
      const g = this.graphs.get(`colsum_${heads}_${kvHeads}_${d}_${scale}_${mask ? 1 : 0}`,
        () => attentionColSumGraph(heads, kvHeads, d, scale, Boolean(mask)));
      const feeds: Record<string, unknown> = { q: ortTensor(qt.data.subarray(r0 * W, r1 * W), [r1 - r0, W]), k: kT };
      if (mask) feeds.mask = ortTensor(mask, [r1 - r0, nk]);
      const r = g.run(feeds).data;
      for (let j = 0; j < nk; j++) sums[j] += r[j];
    }
    return Float32Array.from(sums);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, kvHeads: number, opts: AttentionOptions): Tensor {
    const kt = t(k);
    const nk = as2d(kt)[0];
    if (opts.blocks !== undefined && opts.blocks !== 1) return this.blockAttention(t(q), kt, t(v), heads, kvHeads, opts);
    if (opts.slots) {
      const ks = t(this.gatherRows(k, opts.slots)).data, vs = t(this.gatherRows(v, opts.slots)).data;
      return this.attend(t(q), ks, vs, opts.slots.length, heads, kvHeads, opts, opts.slots);
    }
    return this.attend(t(q), kt.data, t(v).data, nk, heads, kvHeads, opts);
  }

  private blockAttention(qt: CpuTensor, kt: CpuTensor, vt: CpuTensor, heads: number, kvHeads: number,
    opts: AttentionOptions): CpuTensor {
    const n = opts.blocks!;
    const [Tq, W] = as2d(qt), [Tk, kw] = as2d(kt);
    if (!(Number.isInteger(n) && n >= 1 && Tq % n === 0 && Tk % n === 0))
      throw new Error(`attention: ${Tq} query / ${Tk} key rows do not split into ${n} blocks`);
    if (opts.slots || opts.causalBase !== undefined) throw new Error('attention: blocks cannot be combined with slots or causalBase');
    const bq = Tq / n, bk = Tk / n;
    const out = new Float32Array(Tq * W);
    const one: AttentionOptions = { scale: opts.scale };
    for (let b = 0; b < n; b++) {
      const q1 = new CpuTensor(qt.data.subarray(b * bq * W, (b + 1) * bq * W), [bq, W]);
      const r = this.attend(q1, kt.data.subarray(b * bk * kw, (b + 1) * bk * kw), vt.data.subarray(b * bk * kw, (b + 1) * bk * kw),
        bk, heads, kvHeads, one);
      out.set(r.data, b * bq * W);
    }
    return new CpuTensor(out, qt.shape);
  }

  attentionColumnMean(q: Tensor, k: Tensor, heads: number, scale: number, blocks = 1): Float32Array {
    const qt = t(q), kt = t(k);
    const [Tq, W] = as2d(qt), [Tk, kw] = as2d(kt);
    if (!(Number.isInteger(blocks) && blocks >= 1 && Tq % blocks === 0 && Tk % blocks === 0)) {
      throw new Error(`attentionColumnMean: ${Tq} query / ${Tk} key rows do not split into ${blocks} blocks`);
    }
    const bq = Tq / blocks, bk = Tk / blocks;
    const out = new Float32Array(Tk);
    for (let b = 0; b < blocks; b++) {
      const qb = blocks === 1 ? qt : new CpuTensor(qt.data.subarray(b * bq * W, (b + 1) * bq * W), [bq, W]);
      const s = this.colSums(qb, kt.data.subarray(b * bk * kw, (b + 1) * bk * kw), bk, heads, heads, scale);
      const inv = 1 / (heads * bq);
      for (let j = 0; j < bk; j++) out[b * bk + j] = s[j] * inv;
    }
    return out;
  }

  createKvCache(layers: number, kvHeads: number, headDim: number, capacity: number): KvCache {
    return new CpuKvCache(layers, kvHeads, headDim, capacity);
  }

  private kv(cache: KvCache): CpuKvCache {
    if (!(cache instanceof CpuKvCache)) throw new Error('CPU backend got a KV cache from another backend');
    return cache;
  }

  kvWrite(cache: KvCache, layer: number, k: Tensor, v: Tensor, at: number): void {
    const c = this.kv(cache);
    const kd = t(k).data, vd = t(v).data;
    const row = c.kvHeads * c.headDim;
    const n = kd.length / row;
    if (at < 0 || at + n > c.capacity) throw new Error(`KV cache full: writing ${n} slots at ${at}, capacity ${c.capacity}`);
    c.k[layer].set(kd, at * row);
    c.v[layer].set(vd, at * row);
  }

  kvAttention(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, opts: AttentionOptions): Tensor {
    const c = this.kv(cache);
    const row = c.kvHeads * c.headDim;
    if (opts.pageSlots) {
      if (!(opts.pageSlots instanceof CpuPageSlots)) throw new Error('kvAttention: pageSlots from another backend');
      if (opts.slots) throw new Error('kvAttention: slots and pageSlots together');
      return this.kvAttention(cache, layer, q, heads, kvLen, { ...opts, pageSlots: undefined, slots: opts.pageSlots.slots });
    }
    if (opts.slots) {
      const n = opts.slots.length;
      const ks = new Float32Array(n * row), vs = new Float32Array(n * row);
      for (let i = 0; i < n; i++) {
        const s = opts.slots[i];
        if (s < 0 || s >= kvLen) throw new Error(`kvAttention: slot ${s} out of [0, ${kvLen})`);
        ks.set(c.k[layer].subarray(s * row, s * row + row), i * row);
        vs.set(c.v[layer].subarray(s * row, s * row + row), i * row);
      }
      return this.attend(t(q), ks, vs, n, heads, c.kvHeads, opts, opts.slots);
    }
    return this.attend(t(q), c.k[layer], c.v[layer], kvLen, heads, c.kvHeads, opts);
  }

  kvScores(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): Float32Array {
    const c = this.kv(cache);
    const qt = t(q);
    const Tq = as2d(qt)[0];
    const sums = this.colSums(qt, c.k[layer], kvLen, heads, c.kvHeads, opts.scale, opts.causalBase);
    const out = new Float32Array(candidates.length);
    const inv = 1 / (heads * Tq);
    for (let i = 0; i < candidates.length; i++) out[i] = sums[candidates[i]] * inv;
    return out;
  }

  kvScoresDeferred(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): () => Float32Array {
    const scores = this.kvScores(cache, layer, q, heads, kvLen, candidates, opts);
    return () => scores;
  }

  /** No device ranking here: the caller ranks the scores in JS. */
  kvScoresTopK(_rows: readonly (() => Float32Array)[], _k: number): KvTopK | null {
    return null;
  }

  kvPageTable(cache: KvCache, spec: PageTableSpec): PageTable {
    const c = this.kv(cache), row = c.kvHeads * c.headDim;
    if (!(Number.isInteger(spec.pageSize) && spec.pageSize >= 1 && spec.first >= 0 && spec.count >= 0 && spec.first + spec.count <= c.length)) {
      throw new Error(`kvPageTable: run [${spec.first}, ${spec.first + spec.count}) in pages of ${spec.pageSize} does not fit the cache's ${c.length} slots`);
    }
    return new CpuPageTable(c, { ...spec }, fullPages(spec), c.k.map((k) => pageBoundsHost(k, row, spec)));
  }

  kvPageSelect(table: PageTable, layer: number, q: Tensor, heads: number, topPages: number, kvLen: number, scale: number): PageSlots {
    if (!(table instanceof CpuPageTable)) throw new Error('kvPageSelect: a page table from another backend');
    const c = table.cache;
    if (!(Number.isInteger(topPages) && topPages >= 1 && topPages <= table.pages)) throw new Error(`kvPageSelect: topPages ${topPages} outside [1, ${table.pages}]`);
    const scores = pageScoresHost(t(q).data, table.bounds[layer], table.pages, heads, c.kvHeads, c.headDim, scale);
    const pages = selectPagesHost(scores, topPages);
    table.log.push(pages);
    return new CpuPageSlots(pageSlotsHost(table.spec, pages, kvLen));
  }

  kvPageLog(table: PageTable): Int32Array {
    if (!(table instanceof CpuPageTable)) throw new Error('kvPageLog: a page table from another backend');
    const out = new Int32Array(table.log.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of table.log.splice(0)) { out.set(p, o); o += p.length; }
    return out;
  }

  disposePageTable(): void {}

  kvCompact(cache: KvCache, keep: Int32Array): void {
    const c = this.kv(cache);
    const row = c.kvHeads * c.headDim;
    for (let l = 0; l < c.layers; l++) {
      for (let i = 0; i < keep.length; i++) {
        const s = keep[i];
        if (s === i) continue;
        if (s < i) throw new Error('kvCompact: keep must be ascending');
        c.k[l].copyWithin(i * row, s * row, s * row + row);
        c.v[l].copyWithin(i * row, s * row, s * row + row);
      }
    }
    c.length = keep.length;
  }

  kvBytes(cache: KvCache, length: number): number {
    return length * cache.layers * 2 * cache.kvHeads * cache.headDim * 4;
  }

  disposeKvCache(): void {}
}
