// Qwen2 decoder (HF Qwen2Model + lm_head): RMSNorm, q/k/v projections with bias, o_proj without, rotate-half RoPE,
// grouped-query attention over a preallocated KV cache, SiLU-gated MLP.
import type { Backend, KvCache, Tensor } from '../backend/backend.ts';
import { fusedDecodeOps, type FusedDecodeOps } from '../backend/fused.ts';
import { prefillOps, type FusedQkv } from '../backend/prefill-ops.ts';
import type { TextConfig } from './qwen2-config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { linearSpec, loadTensors, tensor, type Loaded } from './tensor-spec.ts';

export const TEXT_PREFIX = 'language_model.';

/** One decoder layer's tensors (HF Qwen2DecoderLayer). */
function qwen2LayerTensors(c: TextConfig, i: number) {
  const H = c.hiddenSize, I = c.intermediateSize, qd = c.heads * c.headDim, kd = c.kvHeads * c.headDim;
  const p = `${TEXT_PREFIX}layers.${i}.`;
  return {
    inputNorm: tensor(`${p}input_layernorm.weight`, [H], 'ones'),
    attn: {
      q: linearSpec(`${p}self_attn.q_proj`, qd, H, true),
      k: linearSpec(`${p}self_attn.k_proj`, kd, H, true),
      v: linearSpec(`${p}self_attn.v_proj`, kd, H, true),
      o: linearSpec(`${p}self_attn.o_proj`, H, qd, false),
    },
    postNorm: tensor(`${p}post_attention_layernorm.weight`, [H], 'ones'),
    mlp: {
      gate: linearSpec(`${p}mlp.gate_proj`, I, H, false),
      up: linearSpec(`${p}mlp.up_proj`, I, H, false),
      down: linearSpec(`${p}mlp.down_proj`, H, I, false),
    },
  };
}

/** The tensors of a Qwen2 decoder + lm_head (HF Qwen2ForCausalLM). lm_head is absent with tied embeddings. */
export function qwen2Tensors(c: TextConfig) {
  const H = c.hiddenSize, V = c.vocabSize;
  return {
    embed: tensor(`${TEXT_PREFIX}embed_tokens.weight`, [V, H], 'normal'),
    layers: Array.from({ length: c.layers }, (_, i) => qwen2LayerTensors(c, i)),
    norm: tensor(`${TEXT_PREFIX}norm.weight`, [H], 'ones'),
    lmHead: c.tieWordEmbeddings ? undefined : LM_HEAD(c),
  };
}
const LM_HEAD = (c: TextConfig) => tensor('lm_head.weight', [c.vocabSize, c.hiddenSize], 'normal');

type Qwen2Layer = Loaded<ReturnType<typeof qwen2LayerTensors>> & {
  /** [q; k; v] weights + biases fused at load when the backend's prefill path wants them (attn.q/k/v are then views). */
  qkv?: FusedQkv;
};

/** Hooks for sparse attention (decode retrieval): see engine/core/sparse. */
export interface Qwen2Hooks {
  /** After the layer's new keys/values are written: q [T, H*d] (RoPE applied) and the cache length now in use. */
  onQuery?: (layer: number, q: Tensor, kvLen: number) => void;
  /** Cache slots (ascending) this layer's attention may read; undefined = all of [0, kvLen). */
  slots?: (layer: number) => Int32Array | undefined;
}

export interface Qwen2ForwardOptions {
  /** RoPE position of each input row (gaps allowed). */
  positions: Int32Array;
  /** Cache slot of the first input row; rows go to slots [at, at+T) and attend causally by slot. */
  at: number;
  hooks?: Qwen2Hooks;
  /** Only the last row's hidden state is returned (decode / next-token logits). */
  lastOnly?: boolean;
}

export class Qwen2 {
  readonly invFreq: Float32Array;

  private constructor(private be: Backend, readonly cfg: TextConfig, private embedTable: Tensor,
    private layers: Qwen2Layer[], private norm: Tensor, private lmHead: Tensor) {
    const half = cfg.headDim / 2;
    this.invFreq = new Float32Array(half);
    // Float32 like HF: 1 / theta^(2i/d) computed in float32.
    for (let i = 0; i < half; i++) this.invFreq[i] = Math.fround(1 / Math.fround(cfg.ropeTheta ** Math.fround((2 * i) / cfg.headDim)));
  }

  static load(be: Backend, src: WeightSource, cfg: TextConfig): Qwen2 {
    const spec = qwen2Tensors(cfg);
    const embedTable = loadTensors(be, src, spec.embed);
    const layers: Qwen2Layer[] = [];
    const pfl = prefillOps(be);
    for (const ls of spec.layers) {
      const L: Qwen2Layer = loadTensors(be, src, ls);
      const a = L.attn, f = pfl?.fuseQkv?.([a.q.w, a.k.w, a.v.w], [a.q.b, a.k.b, a.v.b]);
      if (f) { L.qkv = f; [a.q.w, a.k.w, a.v.w] = f.parts.w; [a.q.b, a.k.b, a.v.b] = f.parts.b; }
      layers.push(L);
    }
    const norm = loadTensors(be, src, spec.norm);
    // Tied embeddings: HF omits lm_head.weight from the file (and ties it to the embeddings on load whatever the
    // flag says); an explicit lm_head wins when present.
    const head = LM_HEAD(cfg);
    const lmHead = src.has(head.name) ? loadTensors(be, src, head) : embedTable;
    return new Qwen2(be, cfg, embedTable, layers, norm, lmHead);
  }

  createCache(capacity: number): KvCache {
    return this.be.createKvCache(this.cfg.layers, this.cfg.kvHeads, this.cfg.headDim, capacity);
  }

  embed(ids: Int32Array): Tensor {
    return this.be.embed(this.embedTable, ids);
  }

  /** Runs the decoder on input embeddings x [T, D], writing K/V into cache slots [at, at+T). Does not change
   *  cache.length (the caller owns it). Returns final-normed hidden states ([T, D], or [1, D] with lastOnly). */
  forward(x: Tensor, cache: KvCache, opts: Qwen2ForwardOptions): Tensor {
    const be = this.be, c = this.cfg;
    const T = x.shape[0];
    if (opts.positions.length !== T) throw new Error(`Qwen2: ${opts.positions.length} positions for ${T} rows`);
    if (opts.at + T > cache.capacity) throw new Error(`KV cache capacity ${cache.capacity} exceeded (${opts.at + T} slots needed)`);
    const scale = 1 / Math.sqrt(c.headDim);
    const kvLen = opts.at + T;
    // Decode-sized inputs take the backend's fused ops when it has them (same math, ~4x fewer launches).
    const fx = T <= 4 ? fusedDecodeOps(be) : null;
    // Prefill-sized inputs: 16-bit MLP intermediates and the residual adds fused into the o / down GEMMs.
    const pf = T > 4 && be.linearAdd ? prefillOps(be) : null;
    let h = x;
    // The next layer's input RMSNorm when the previous down projection computed it in its epilogue.
    let nextNorm: Tensor | null = null;
    for (let i = 0; i < c.layers; i++) {
      const L = this.layers[i];
      if (fx) {
        const next = this.fusedLayer(fx, i, L, h, cache, opts, kvLen, scale);
        if (next) {
          if (h !== x) be.dispose(h);
          h = next;
          continue;
        }
      }
      const n1 = nextNorm ?? (pf ? pf.rmsNorm16(h, L.inputNorm, c.rmsNormEps) : be.rmsNorm(h, L.inputNorm, c.rmsNormEps));
      nextNorm = null;
      const q = pf?.qkvRopeKv && L.qkv
        ? pf.qkvRopeKv(n1, L.qkv, cache, i, c.heads, opts.positions, this.invFreq, opts.at)
        : this.qkvPlain(n1, L, i, cache, opts);
      be.dispose(n1);
      opts.hooks?.onQuery?.(i, q, kvLen);
      const slots = opts.hooks?.slots?.(i);
      const a = be.kvAttention(cache, i, q, c.heads, kvLen, { scale, causalBase: opts.at, slots });
      be.dispose(q);
      if (pf) {
        let h1: Tensor, n2: Tensor;
        if (pf.linearAddNorm16) [h1, n2] = pf.linearAddNorm16(a, L.attn.o.w, h, L.postNorm, c.rmsNormEps);
        else { h1 = be.linearAdd!(a, L.attn.o.w, undefined, h); n2 = pf.rmsNorm16(h1, L.postNorm, c.rmsNormEps); }
        be.dispose(a);
        if (h !== x) be.dispose(h);
        const act = pf.swiGlu16(n2, L.mlp.gate.w, L.mlp.up.w);
        be.dispose(n2);
        const next = this.layers[i + 1];
        if (pf.linearAddNorm16 && next) [h, nextNorm] = pf.linearAddNorm16(act, L.mlp.down.w, h1, next.inputNorm, c.rmsNormEps);
        else h = be.linearAdd!(act, L.mlp.down.w, undefined, h1);
        be.dispose(act); be.dispose(h1);
        continue;
      }
      const ao = be.linear(a, L.attn.o.w);
      be.dispose(a);
      const h1 = be.add(h, ao);
      be.dispose(ao);
      if (h !== x) be.dispose(h);
      const n2 = be.rmsNorm(h1, L.postNorm, c.rmsNormEps);
      const g = be.linear(n2, L.mlp.gate.w), u = be.linear(n2, L.mlp.up.w);
      be.dispose(n2);
      const gu = be.siluMul(g, u);
      be.dispose(g); be.dispose(u);
      const d = be.linear(gu, L.mlp.down.w);
      be.dispose(gu);
      h = be.add(h1, d);
      be.dispose(h1); be.dispose(d);
    }
    let last = h;
    if (opts.lastOnly && T > 1) {
      last = be.sliceRows(h, T - 1, T);
    }
    const out = be.rmsNorm(last, this.norm, c.rmsNormEps);
    if (last !== h) be.dispose(last);
    if (h !== x) be.dispose(h);
    return out;
  }

  /** One layer through the fused decode ops; null (nothing done) when the backend declines the shapes. */
  private fusedLayer(fx: FusedDecodeOps, i: number, L: Qwen2Layer, h: Tensor, cache: KvCache, opts: Qwen2ForwardOptions,
    kvLen: number, scale: number): Tensor | null {
    const be = this.be, c = this.cfg;
    const qkv = fx.normLinears(h, L.inputNorm, c.rmsNormEps, [L.attn.q.w, L.attn.k.w, L.attn.v.w], [L.attn.q.b, L.attn.k.b, L.attn.v.b]);
    if (!qkv) return null;
    const [q0, k0, v] = qkv;
    const q = fx.ropeKvWrite(cache, i, q0, k0, v, c.heads, opts.positions, this.invFreq, opts.at);
    for (const t of qkv) be.dispose(t);
    if (!q) return null;
    opts.hooks?.onQuery?.(i, q, kvLen);
    const slots = opts.hooks?.slots?.(i);
    const a = be.kvAttention(cache, i, q, c.heads, kvLen, { scale, causalBase: opts.at, slots });
    be.dispose(q);
    const h1 = fx.linearResidual(a, L.attn.o.w, h) ?? this.addLinear(h, a, L.attn.o.w);
    be.dispose(a);
    const act = fx.normSwiGlu(h1, L.postNorm, c.rmsNormEps, L.mlp.gate.w, L.mlp.up.w);
    if (act) {
      const out = fx.linearResidual(act, L.mlp.down.w, h1) ?? this.addLinear(h1, act, L.mlp.down.w);
      be.dispose(act); be.dispose(h1);
      return out;
    }
    let gu = fx.normLinears(h1, L.postNorm, c.rmsNormEps, [L.mlp.gate.w, L.mlp.up.w], [undefined, undefined]);
    if (!gu) {
      const n2 = be.rmsNorm(h1, L.postNorm, c.rmsNormEps);
      gu = [be.linear(n2, L.mlp.gate.w), be.linear(n2, L.mlp.up.w)];
      be.dispose(n2);
    }
    let out = fx.siluMulLinearResidual(gu[0], gu[1], L.mlp.down.w, h1);
    if (!out) {
      const s = be.siluMul(gu[0], gu[1]);
      out = this.addLinear(h1, s, L.mlp.down.w);
      be.dispose(s);
    }
    be.dispose(gu[0]); be.dispose(gu[1]); be.dispose(h1);
    return out;
  }
  /** q/k/v projections, RoPE and the K/V cache write as separate ops; returns q (RoPE applied). */
  private qkvPlain(n1: Tensor, L: Qwen2Layer, i: number, cache: KvCache, opts: Qwen2ForwardOptions): Tensor {
    const be = this.be, c = this.cfg;
    const q0 = be.linear(n1, L.attn.q.w, L.attn.q.b), k0 = be.linear(n1, L.attn.k.w, L.attn.k.b), v = be.linear(n1, L.attn.v.w, L.attn.v.b);
    const q = be.rope(q0, c.heads, opts.positions, this.invFreq);
    const k = be.rope(k0, c.kvHeads, opts.positions, this.invFreq);
    be.dispose(q0); be.dispose(k0);
    be.kvWrite(cache, i, k, v, opts.at);
    be.dispose(k); be.dispose(v);
    return q;
  }
  /** add(res, linear(x, w)) with the intermediate freed. */
  private addLinear(res: Tensor, x: Tensor, w: Tensor): Tensor {
    const y = this.be.linear(x, w);
    const out = this.be.add(res, y);
    this.be.dispose(y);
    return out;
  }

  logits(hidden: Tensor): Tensor {
    return this.be.linear(hidden, this.lmHead);
  }
}
