// Qwen2 decoder (HF Qwen2Model + lm_head): RMSNorm, q/k/v projections with bias, o_proj without, rotate-half RoPE,
// grouped-query attention over a preallocated KV cache, SiLU-gated MLP. The config's variations make the Qwen-VL text
// models: multimodal RoPE (three position streams, Qwen2.5-VL / Qwen3-VL), Qwen3's per-head q/k norms without q/k/v
// biases, and DeepStack (Qwen3-VL: visual features added to the hidden states after the first layers).
import type {
  Backend, Hidden, KvCache, Linear, PageSlots, QkvProjection, RmsNormWeights, RopePositions, SwiGluWeights, Tensor,
} from '../backend/backend.ts';
import type { TextConfig } from './qwen2-config.ts';
import { mropeAngles, mropeStreams, type MropePositions } from './mrope.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { linearSpec, loadTensors, tensor } from './tensor-spec.ts';

export const TEXT_PREFIX = 'language_model.';

/** One decoder layer's tensors (HF Qwen2DecoderLayer); its linears are the ones AWQ checkpoints store in 4 bits. */
export function qwen2LayerTensors(c: TextConfig, i: number) {
  const H = c.hiddenSize, I = c.intermediateSize, qd = c.heads * c.headDim, kd = c.kvHeads * c.headDim;
  const p = `${TEXT_PREFIX}layers.${i}.`, bias = c.attentionBias;
  return {
    inputNorm: tensor(`${p}input_layernorm.weight`, [H], 'ones'),
    attn: {
      q: linearSpec(`${p}self_attn.q_proj`, qd, H, bias, 'required'),
      k: linearSpec(`${p}self_attn.k_proj`, kd, H, bias, 'required'),
      v: linearSpec(`${p}self_attn.v_proj`, kd, H, bias, 'required'),
      o: linearSpec(`${p}self_attn.o_proj`, H, qd, false, 'required'),
      qNorm: c.qkNorm ? tensor(`${p}self_attn.q_norm.weight`, [c.headDim], 'ones') : undefined,
      kNorm: c.qkNorm ? tensor(`${p}self_attn.k_norm.weight`, [c.headDim], 'ones') : undefined,
    },
    postNorm: tensor(`${p}post_attention_layernorm.weight`, [H], 'ones'),
    mlp: {
      gate: linearSpec(`${p}mlp.gate_proj`, I, H, false, 'required'),
      up: linearSpec(`${p}mlp.up_proj`, I, H, false, 'required'),
      down: linearSpec(`${p}mlp.down_proj`, H, I, false, 'required'),
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

/** A decoder layer as the forward uses it (q/k/v as the backend packed them). */
interface Qwen2Layer {
  inputNorm: RmsNormWeights;
  qkv: QkvProjection;
  o: Linear;
  postNorm: RmsNormWeights;
  mlp: SwiGluWeights;
}

/** Hooks for sparse attention (decode retrieval): see engine/core/sparse. */
export interface Qwen2Hooks {
  /** After the layer's new keys/values are written: q [T, H*d] (RoPE applied) and the cache length now in use. */
  onQuery?: (layer: number, q: Tensor, kvLen: number) => void;
  /** Cache slots (ascending) this layer's attention may read, or a Backend.kvPageSelect's choice; undefined = all of
   *  [0, kvLen). */
  slots?: (layer: number) => Int32Array | PageSlots | undefined;
}

/** DeepStack input of one forward: rows (ascending, of this forward's input) holding visual tokens, and per early
 *  layer i the features [rows.length, D] added to those rows after layer i. */
export interface DeepStackInput {
  rows: Int32Array;
  features: readonly Tensor[];
}

export interface Qwen2ForwardOptions {
  /** RoPE position of each input row (gaps allowed); three streams per row with multimodal RoPE. */
  positions: Int32Array | MropePositions;
  /** Cache slot of the first input row; rows go to slots [at, at+T) and attend causally by slot. */
  at: number;
  hooks?: Qwen2Hooks;
  /** Only the last row's hidden state is returned (decode / next-token logits). */
  lastOnly?: boolean;
  deepstack?: DeepStackInput;
}

export class Qwen2 {
  readonly invFreq: Float32Array;
  /** Multimodal RoPE: the position stream each frequency reads. */
  private readonly mropeStreams: Uint8Array | null;

  private constructor(private be: Backend, readonly cfg: TextConfig, private embedTable: Tensor,
    private layers: Qwen2Layer[], private norm: Tensor, private lmHead: Tensor) {
    const half = cfg.headDim / 2;
    this.invFreq = new Float32Array(half);
    // Float32 like HF: 1 / theta^(2i/d) computed in float32.
    for (let i = 0; i < half; i++) this.invFreq[i] = Math.fround(1 / Math.fround(cfg.ropeTheta ** Math.fround((2 * i) / cfg.headDim)));
    this.mropeStreams = cfg.mrope ? mropeStreams(cfg.mrope, half) : null;
  }

  static load(be: Backend, src: WeightSource, cfg: TextConfig): Qwen2 {
    const spec = qwen2Tensors(cfg), eps = cfg.rmsNormEps;
    const embedTable = loadTensors(be, src, spec.embed);
    const layers = spec.layers.map((ls): Qwen2Layer => {
      const t = loadTensors(be, src, ls);
      const qkNorm = t.attn.qNorm && t.attn.kNorm ? { q: { w: t.attn.qNorm, eps }, k: { w: t.attn.kNorm, eps } } : undefined;
      return {
        inputNorm: { w: t.inputNorm, eps }, qkv: be.layerOps.packQkv(t.attn.q, t.attn.k, t.attn.v, qkNorm), o: t.attn.o,
        postNorm: { w: t.postNorm, eps }, mlp: t.mlp,
      };
    });
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
    const be = this.be, ops = be.layerOps, c = this.cfg;
    const T = x.shape[0];
    if (opts.at + T > cache.capacity) throw new Error(`KV cache capacity ${cache.capacity} exceeded (${opts.at + T} slots needed)`);
    const scale = 1 / Math.sqrt(c.headDim);
    const kvLen = opts.at + T;
    const rope = this.rope(opts.positions, T);
    const ds = opts.deepstack;
    if (ds && ds.features.length > c.layers) throw new Error(`DeepStack: ${ds.features.length} feature sets for ${c.layers} layers`);
    let s: Hidden = { h: x, normed: null };
    for (let i = 0; i < c.layers; i++) {
      const L = this.layers[i];
      // After a DeepStack layer the hidden states change, so the next norm is not computed ahead.
      const next = ds && i < ds.features.length ? undefined : this.layers[i + 1];
      // Qwen2DecoderLayer: h + o_proj(attention(rope(q, k, v of input_layernorm(h)))) ...
      const q = ops.attentionInput(s, L.inputNorm, L.qkv, c.heads, rope, cache, i, opts.at);
      opts.hooks?.onQuery?.(i, q, kvLen);
      const sel = opts.hooks?.slots?.(i);
      const a = be.kvAttention(cache, i, q, c.heads, kvLen,
        sel instanceof Int32Array || !sel ? { scale, causalBase: opts.at, slots: sel } : { scale, causalBase: opts.at, pageSlots: sel });
      be.dispose(q);
      const s1 = ops.residualLinear(a, L.o, s.h, L.postNorm);
      be.dispose(a);
      if (s.h !== x) be.dispose(s.h);
      // ... then h + mlp(post_attention_layernorm(h)).
      s = ops.residualSwiGlu(s1, L.postNorm, L.mlp, next ? next.inputNorm : null);
      be.dispose(s1.h);
      if (ds && i < ds.features.length) s = { h: this.addAtRows(s.h, ds.rows, ds.features[i]), normed: null };
    }
    const h = s.h;
    if (s.normed) be.dispose(s.normed.t);
    let last = h;
    if (opts.lastOnly && T > 1) {
      last = be.sliceRows(h, T - 1, T);
    }
    const out = be.rmsNorm(last, this.norm, c.rmsNormEps);
    if (last !== h) be.dispose(last);
    if (h !== x) be.dispose(h);
    return out;
  }

  logits(hidden: Tensor): Tensor {
    return this.be.linear(hidden, this.lmHead);
  }

  /** The RoPE of T rows: one stream with the inverse frequencies, or the multimodal angle table. */
  private rope(positions: Int32Array | MropePositions, T: number): RopePositions {
    const n = positions instanceof Int32Array ? positions.length : positions.t.length;
    if (n !== T) throw new Error(`Qwen2: ${n} positions for ${T} rows`);
    if (positions instanceof Int32Array) {
      if (this.mropeStreams) throw new Error('Qwen2: this model uses multimodal RoPE and needs three position streams');
      return { positions, invFreq: this.invFreq };
    }
    if (!this.mropeStreams) throw new Error('Qwen2: three position streams given to a model with one');
    return mropeAngles(positions, this.invFreq, this.mropeStreams);
  }

  /** h with `features` added to rows `rows` (freed: h). */
  private addAtRows(h: Tensor, rows: Int32Array, features: Tensor): Tensor {
    const be = this.be, T = h.shape[0], D = h.shape[1];
    if (features.shape[0] !== rows.length || features.shape[1] !== D) {
      throw new Error(`DeepStack: features ${JSON.stringify(features.shape)} for ${rows.length} rows of width ${D}`);
    }
    // One gather builds the [T, D] addend from [zeros; features], then one add.
    const zero = be.fromHost(new Float32Array(D), [1, D]);
    const src = be.concatRows([zero, features]);
    const idx = new Int32Array(T);
    rows.forEach((r, k) => {
      if (!(r >= 0 && r < T)) throw new Error(`DeepStack: row ${r} outside the ${T} input rows`);
      idx[r] = k + 1;
    });
    const addend = be.gatherRows(src, idx);
    const out = be.add(h, addend);
    for (const t of [zero, src, addend]) be.dispose(t);
    be.dispose(h);
    return out;
  }
}
