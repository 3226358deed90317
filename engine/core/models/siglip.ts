// SigLIP vision tower (HF SiglipVisionModel): conv patch embedding + learned positions, pre-LayerNorm encoder layers
// with gelu_pytorch_tanh MLPs. Only the layers up to the deepest selected hidden state run; post_layernorm is not
// applied to hidden_states[i] (the projector reads raw encoder-layer outputs).
import type { Backend, Tensor } from '../backend/backend.ts';
import type { VisionConfig } from '../checkpoint/config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { VISION_PREFIX } from './layout.ts';
import { linearAdd, linearGelu } from './linear-gelu.ts';

interface SiglipLayer {
  ln1w: Tensor; ln1b: Tensor;
  qw: Tensor; qb: Tensor; kw: Tensor; kb: Tensor; vw: Tensor; vb: Tensor; ow: Tensor; ob: Tensor;
  ln2w: Tensor; ln2b: Tensor;
  fc1w: Tensor; fc1b: Tensor; fc2w: Tensor; fc2b: Tensor;
}

export interface SiglipForwardOptions {
  /** Called with q and k ([n*T, H*d] for the n frames of the call, after projection, before attention) of encoder
   *  layer `layer` (0-based), for every layer listed in `qkLayers`. */
  onLayerQK?: (layer: number, q: Tensor, k: Tensor) => void;
  qkLayers?: readonly number[];
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

  get grid(): number {
    return Math.floor(this.cfg.imageSize / this.cfg.patchSize);
  }

  /** Loads the embeddings and encoder layers [0, layersNeeded). */
  static load(be: Backend, src: WeightSource, cfg: VisionConfig, layersNeeded: number): SiglipVisionTower {
    const p = VISION_PREFIX;
    const H = cfg.hiddenSize, I = cfg.intermediateSize;
    const w = (n: string, shape: number[]) => be.weight(src.get(p + n, shape));
    const conv = src.get(`${p}embeddings.patch_embedding.weight`, [H, cfg.channels, cfg.patchSize, cfg.patchSize]);
    const patchW = be.weight({ ...conv, shape: [H, cfg.channels * cfg.patchSize * cfg.patchSize] });
    const grid = Math.floor(cfg.imageSize / cfg.patchSize);
    const patchB = w('embeddings.patch_embedding.bias', [H]);
    const pos = w('embeddings.position_embedding.weight', [grid * grid, H]);
    const layers: SiglipLayer[] = [];
    for (let i = 0; i < layersNeeded; i++) {
      const l = (n: string, shape: number[]) => w(`encoder.layers.${i}.${n}`, shape);
      layers.push({
        ln1w: l('layer_norm1.weight', [H]), ln1b: l('layer_norm1.bias', [H]),
        qw: l('self_attn.q_proj.weight', [H, H]), qb: l('self_attn.q_proj.bias', [H]),
        kw: l('self_attn.k_proj.weight', [H, H]), kb: l('self_attn.k_proj.bias', [H]),
        vw: l('self_attn.v_proj.weight', [H, H]), vb: l('self_attn.v_proj.bias', [H]),
        ow: l('self_attn.out_proj.weight', [H, H]), ob: l('self_attn.out_proj.bias', [H]),
        ln2w: l('layer_norm2.weight', [H]), ln2b: l('layer_norm2.bias', [H]),
        fc1w: l('mlp.fc1.weight', [I, H]), fc1b: l('mlp.fc1.bias', [I]),
        fc2w: l('mlp.fc2.weight', [H, I]), fc2b: l('mlp.fc2.bias', [H]),
      });
    }
    return new SiglipVisionTower(be, cfg, patchW, patchB, pos, layers);
  }

  /** Frames' pixels [n, C, S, S] -> patch rows [n·grid², C·p·p] in the conv weight's (c, ky, kx) order. */
  private patchify(px: Float32Array, frames: number): Float32Array {
    const { channels: C, patchSize: p, imageSize: S } = this.cfg;
    const g = this.grid;
    const row = C * p * p;
    const out = new Float32Array(frames * g * g * row);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < C; c++) {
        for (let py = 0; py < g; py++) {
          for (let ky = 0; ky < p; ky++) {
            let src = ((f * C + c) * S + py * p + ky) * S;
            let o = (f * g + py) * g * row + (c * p + ky) * p;
            for (let pxi = 0; pxi < g; pxi++, o += row) for (let kx = 0; kx < p; kx++) out[o + kx] = px[src++];
          }
        }
      }
    }
    return out;
  }

  /** Patch rows of n frames as a backend tensor: rearranged on the device when the backend can, else on the host. */
  private patches(px: Float32Array, frames: number): Tensor {
    const { channels: C, patchSize: p, imageSize: S } = this.cfg;
    const be = this.be;
    if (be.patchify) {
      const raw = be.fromHost(px, [frames * C * S, S]);
      const out = be.patchify(raw, frames, C, S, p);
      be.dispose(raw);
      return out;
    }
    return be.fromHost(this.patchify(px, frames), [frames * this.grid * this.grid, C * p * p]);
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
    const g = this.grid;
    const patches = this.patches(pixels, frames);
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
      const x = be.layerNorm(h, L.ln1w, L.ln1b, eps);
      const q = be.linear(x, L.qw, L.qb), k = be.linear(x, L.kw, L.kb), v = be.linear(x, L.vw, L.vb);
      be.dispose(x);
      if (opts.onLayerQK && (opts.qkLayers ?? []).includes(i)) opts.onLayerQK(i, q, k);
      const a = be.attention(q, k, v, heads, heads, attn);
      be.dispose(q); be.dispose(k); be.dispose(v);
      const h1 = linearAdd(be, a, L.ow, L.ob, h);
      be.dispose(a);
      if (!picked.has(i) || picked.get(i) !== h) be.dispose(h);
      const x2 = be.layerNorm(h1, L.ln2w, L.ln2b, eps);
      const f1a = linearGelu(be, x2, L.fc1w, L.fc1b, this.cfg.act);
      be.dispose(x2);
      h = linearAdd(be, f1a, L.fc2w, L.fc2b, h1);
      be.dispose(f1a);
      be.dispose(h1);
      if (hiddenIndices.includes(i + 1)) picked.set(i + 1, h);
    }
    return hiddenIndices.map((idx) => picked.get(idx)!);
  }
}
