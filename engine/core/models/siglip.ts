// SigLIP vision tower (HF SiglipVisionModel): conv patch embedding + learned positions, pre-LayerNorm encoder layers
// with gelu_pytorch_tanh MLPs. Only the layers up to the deepest selected hidden state run; post_layernorm is not
// applied to hidden_states[i] (the projector reads raw encoder-layer outputs).
import type { Backend, Tensor } from '../backend/backend.ts';
import type { VisionConfig } from './siglip-config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { linearSpec, loadTensors, tensor, type Loaded } from './tensor-spec.ts';

export const VISION_PREFIX = 'vision_tower.vision_model.';

/** One encoder layer's tensors (HF SiglipEncoderLayer). */
export function siglipLayerTensors(c: VisionConfig, i: number) {
  const H = c.hiddenSize, I = c.intermediateSize, p = `${VISION_PREFIX}encoder.layers.${i}.`;
  return {
    ln1: { w: tensor(`${p}layer_norm1.weight`, [H], 'ones'), b: tensor(`${p}layer_norm1.bias`, [H], 'zeros') },
    attn: {
      q: linearSpec(`${p}self_attn.q_proj`, H, H, true),
      k: linearSpec(`${p}self_attn.k_proj`, H, H, true),
      v: linearSpec(`${p}self_attn.v_proj`, H, H, true),
      o: linearSpec(`${p}self_attn.out_proj`, H, H, true),
    },
    ln2: { w: tensor(`${p}layer_norm2.weight`, [H], 'ones'), b: tensor(`${p}layer_norm2.bias`, [H], 'zeros') },
    fc1: linearSpec(`${p}mlp.fc1`, I, H, true),
    fc2: linearSpec(`${p}mlp.fc2`, H, I, true),
  };
}

/** The tower's tensors: embeddings, encoder layers [0, layers) and, when asked, post_layernorm (which the projector
 *  never reads). The conv patch embedding is used as a [H, C·p·p] matrix. */
export function siglipTensors(c: VisionConfig, layers: number, postNorm = false) {
  const H = c.hiddenSize, C = c.channels, p = c.patchSize, grid = Math.floor(c.imageSize / c.patchSize);
  const e = `${VISION_PREFIX}embeddings.`;
  return {
    patch: {
      w: tensor(`${e}patch_embedding.weight`, [H, C, p, p], 'normal', [H, C * p * p]),
      b: tensor(`${e}patch_embedding.bias`, [H], 'small'),
    },
    pos: tensor(`${e}position_embedding.weight`, [grid * grid, H], 'normal'),
    layers: Array.from({ length: layers }, (_, i) => siglipLayerTensors(c, i)),
    postNorm: postNorm
      ? { w: tensor(`${VISION_PREFIX}post_layernorm.weight`, [H], 'ones'), b: tensor(`${VISION_PREFIX}post_layernorm.bias`, [H], 'zeros') }
      : undefined,
  };
}

export type SiglipLayer = Loaded<ReturnType<typeof siglipLayerTensors>>;

export interface SiglipForwardOptions {
  /** Called with q and k ([n*T, H*d] for the n frames of the call, after projection, before attention) of encoder
   *  layer `layer` (0-based), for every layer listed in `qkLayers`. */
  onLayerQK?: (layer: number, q: Tensor, k: Tensor) => void;
  qkLayers?: readonly number[];
  /** Called with the outputs of layer `layer`'s layer_norm1 (the q/k/v input) and layer_norm2 (fc1's input), for
   *  calibration (siglip-w8.ts). */
  onNormed?: (layer: number, norm: 'ln1' | 'ln2', x: Tensor) => void;
}

export class SiglipVisionTower {
  private constructor(
    private be: Backend,
    readonly cfg: VisionConfig,
    private patchW: Tensor,
    private patchB: Tensor,
    private pos: Tensor,
    private layers: SiglipLayer[],
  ) {}

  /** The encoder layers' weights as loaded. */
  get layerWeights(): readonly SiglipLayer[] {
    return this.layers;
  }

  /** The same tower (embeddings shared) with other encoder layers, e.g. their 8-bit versions (siglip-w8.ts). */
  withLayers(layers: SiglipLayer[]): SiglipVisionTower {
    if (layers.length !== this.layers.length) throw new Error(`SigLIP: ${layers.length} layers given for ${this.layers.length}`);
    return new SiglipVisionTower(this.be, this.cfg, this.patchW, this.patchB, this.pos, layers);
  }

  get grid(): number {
    return Math.floor(this.cfg.imageSize / this.cfg.patchSize);
  }

  /** Loads the embeddings and encoder layers [0, layersNeeded). */
  static load(be: Backend, src: WeightSource, cfg: VisionConfig, layersNeeded: number): SiglipVisionTower {
    const t = loadTensors(be, src, siglipTensors(cfg, layersNeeded));
    return new SiglipVisionTower(be, cfg, t.patch.w, t.patch.b, t.pos, t.layers);
  }

  /** Position embeddings repeated for n frames (kept for the next call with the same n). */
  private tiledPos: { frames: number; t: Tensor } | null = null;
  private positions(frames: number): Tensor {
    if (frames === 1) return this.pos;
    if (this.tiledPos?.frames !== frames) {
      if (this.tiledPos) this.be.dispose(this.tiledPos.t);
      this.tiledPos = { frames, t: this.be.concatRows(Array.from({ length: frames }, () => this.pos)) };
    }
    return this.tiledPos.t;
  }

  /** Hidden states of one frame at the requested indices (0 = embeddings, i = output of layer i-1). */
  forwardFrame(pixels: Float32Array, hiddenIndices: readonly number[], opts: SiglipForwardOptions = {}): Tensor[] {
    return this.forwardFrames(pixels, 1, hiddenIndices, opts);
  }

  /** Hidden states [n·grid², hidden] of n frames at once (frame-major rows): every op runs on all n frames (GEMMs
   *  with n·grid² rows), attention stays within each frame. */
  forwardFrames(pixels: Float32Array, frames: number, hiddenIndices: readonly number[], opts: SiglipForwardOptions = {}): Tensor[] {
    const be = this.be;
    const { channels: C, imageSize: S } = this.cfg;
    if (!(Number.isInteger(frames) && frames >= 1)) throw new Error(`SigLIP: frames must be a positive integer, got ${frames}`);
    if (pixels.length !== frames * C * S * S) throw new Error(`SigLIP: ${frames} frame(s) need ${frames}×${C}×${S}×${S} values, got ${pixels.length}`);
    const maxIdx = Math.max(...hiddenIndices);
    if (maxIdx > this.layers.length) throw new Error(`SigLIP: hidden state ${maxIdx} needs ${maxIdx} layers, ${this.layers.length} loaded`);
    const ops = be.layerOps;
    const patches = ops.patchRows(pixels, frames, C, S, this.cfg.patchSize);
    const emb = be.linear(patches, this.patchW, this.patchB);
    be.dispose(patches);
    let h = be.add(emb, this.positions(frames));
    be.dispose(emb);
    const picked = new Map<number, Tensor>();
    if (hiddenIndices.includes(0)) picked.set(0, h);
    const heads = this.cfg.heads;
    const attn = { scale: 1 / Math.sqrt(this.cfg.headDim), blocks: frames };
    const eps = this.cfg.layerNormEps;
    for (let i = 0; i < maxIdx; i++) {
      const L = this.layers[i];
      // SiglipEncoderLayer: h + out_proj(attention(layer_norm1(h))), then h + fc2(gelu(fc1(layer_norm2(h)))).
      const x = be.layerNorm(h, L.ln1.w, L.ln1.b, eps);
      opts.onNormed?.(i, 'ln1', x);
      const q = be.linear(x, L.attn.q.w, L.attn.q.b), k = be.linear(x, L.attn.k.w, L.attn.k.b), v = be.linear(x, L.attn.v.w, L.attn.v.b);
      be.dispose(x);
      if (opts.onLayerQK && (opts.qkLayers ?? []).includes(i)) opts.onLayerQK(i, q, k);
      const a = be.attention(q, k, v, heads, heads, attn);
      be.dispose(q); be.dispose(k); be.dispose(v);
      const h1 = ops.linearAdd(a, L.attn.o, h);
      be.dispose(a);
      if (!picked.has(i) || picked.get(i) !== h) be.dispose(h);
      const x2 = be.layerNorm(h1, L.ln2.w, L.ln2.b, eps);
      opts.onNormed?.(i, 'ln2', x2);
      const f1a = ops.linearGelu(x2, L.fc1, this.cfg.act);
      be.dispose(x2);
      h = ops.linearAdd(f1a, L.fc2, h1);
      be.dispose(f1a);
      be.dispose(h1);
      if (hiddenIndices.includes(i + 1)) picked.set(i + 1, h);
    }
    return hiddenIndices.map((idx) => picked.get(idx)!);
  }
}
