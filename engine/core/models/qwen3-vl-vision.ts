// Qwen3-VL vision tower (HF Qwen3VLVisionModel): Conv3d patch embedding (a linear on HF's flattened patches) plus the
// learned position table bilinearly interpolated to the grid, 2-D rotary positions, LayerNorm blocks with a GELU MLP,
// attention within each temporal group, the 2x2 merger, and DeepStack: the outputs of deepstack_visual_indexes' layers,
// each through its own merger (LayerNorm after the 2x2 shuffle), for the LLM's first layers.
import type { Backend, Tensor } from '../backend/backend.ts';
import { hostToF32 } from '../backend/dtype.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { AttentionSegments, VisionRotary, loadBlocks, visionSelfAttention, type LoadedBlock } from './qwen-vision-attention.ts';
import { mergeRows, mergerMlp, runQwenVision, type BatchOutput, type QwenVisionOptions, type QwenVisionOutput } from './qwen-vision-forward.ts';
import { groupSegments, patchCoordinates, type VisionGrid } from './qwen-vision-grid.ts';
import type { Qwen3VisionConfig } from './qwen3-vl-vision-config.ts';
import { QWEN_VISION_PREFIX } from './qwen-vision-config.ts';
import { linearSpec, loadTensors, tensor, type Loaded } from './tensor-spec.ts';

const EPS = 1e-6;

function layerNormSpec(name: string, n: number) {
  return { w: tensor(`${name}.weight`, [n], 'ones'), b: tensor(`${name}.bias`, [n], 'zeros') };
}

/** One block's tensors (HF Qwen3VLVisionBlock). */
export function qwen3VisionBlockTensors(c: Qwen3VisionConfig, i: number) {
  const H = c.hiddenSize, I = c.intermediateSize, p = `${QWEN_VISION_PREFIX}blocks.${i}.`;
  return {
    norm1: layerNormSpec(`${p}norm1`, H),
    qkv: linearSpec(`${p}attn.qkv`, 3 * H, H, true),
    proj: linearSpec(`${p}attn.proj`, H, H, true),
    norm2: layerNormSpec(`${p}norm2`, H),
    fc1: linearSpec(`${p}mlp.linear_fc1`, I, H, true),
    fc2: linearSpec(`${p}mlp.linear_fc2`, H, I, true),
  };
}

/** A merger (HF Qwen3VLVisionPatchMerger): its LayerNorm is over H (main merger) or over m²·H (DeepStack's). */
function mergerTensors(c: Qwen3VisionConfig, prefix: string, postShuffleNorm: boolean) {
  const M = c.hiddenSize * c.mergeSize * c.mergeSize;
  return {
    norm: layerNormSpec(`${prefix}norm`, postShuffleNorm ? M : c.hiddenSize),
    fc1: linearSpec(`${prefix}linear_fc1`, M, M, true),
    fc2: linearSpec(`${prefix}linear_fc2`, c.outHiddenSize, M, true),
  };
}

/** The tower's tensors under canonical names (checkpoint/weights.ts). The Conv3d kernel is used as [H, C·t·p·p]. */
export function qwen3VisionTensors(c: Qwen3VisionConfig) {
  const H = c.hiddenSize, { channels: C, temporalPatchSize: T, patchSize: p } = c;
  return {
    patch: {
      w: tensor(`${QWEN_VISION_PREFIX}patch_embed.proj.weight`, [H, C, T, p, p], 'normal', [H, C * T * p * p]),
      b: tensor(`${QWEN_VISION_PREFIX}patch_embed.proj.bias`, [H], 'small'),
    },
    pos: tensor(`${QWEN_VISION_PREFIX}pos_embed.weight`, [c.positionGrid * c.positionGrid, H], 'normal'),
    blocks: Array.from({ length: c.depth }, (_, i) => qwen3VisionBlockTensors(c, i)),
    merger: mergerTensors(c, `${QWEN_VISION_PREFIX}merger.`, false),
    deepstack: c.deepstackLayers.map((_, k) => mergerTensors(c, `${QWEN_VISION_PREFIX}deepstack_merger_list.${k}.`, true)),
  };
}

type Block = LoadedBlock<ReturnType<typeof qwen3VisionBlockTensors>>;
type Merger = Loaded<ReturnType<typeof mergerTensors>>;

export class Qwen3VisionTower {
  /** Interpolated position embeddings of one temporal group, per (h, w) seen last (a few grid sizes at most). */
  private readonly posCache = new Map<string, Tensor>();

  private constructor(private readonly be: Backend, readonly cfg: Qwen3VisionConfig,
    private readonly patch: { w: Tensor; b: Tensor }, private readonly posTable: Float32Array,
    private readonly blocks: Block[], private readonly merger: Merger, private readonly deepstack: Merger[]) {}

  static load(be: Backend, src: WeightSource, cfg: Qwen3VisionConfig): Qwen3VisionTower {
    const spec = qwen3VisionTensors(cfg);
    // The table is only read on the host (interpolated per grid size).
    const posTable = Float32Array.from(hostToF32(src.get(spec.pos.name, spec.pos.shape)));
    return new Qwen3VisionTower(be, cfg, loadTensors(be, src, spec.patch), posTable, loadBlocks(be, src, spec.blocks),
      loadTensors(be, src, spec.merger), loadTensors(be, src, spec.deepstack));
  }

  /** Every layer attends over its whole temporal group: saliency reads the last one. */
  get saliencyLayer(): number {
    return this.cfg.depth - 1;
  }

  /** Merged tokens, DeepStack features (and saliency) of HF's pixel_values_videos [N, C·t·p·p] for video_grid_thw. */
  forward(pixels: Float32Array, grids: readonly VisionGrid[], opts: QwenVisionOptions = {}): QwenVisionOutput {
    return runQwenVision(this.be, this.cfg, pixels, grids, opts, (x, g, sal) => this.batch(x, g, sal));
  }

  private batch(x: Tensor, grids: VisionGrid[], saliency: boolean): BatchOutput {
    const be = this.be, c = this.cfg, unit = c.mergeSize * c.mergeSize;
    const rows = x.shape[0];
    const attn = new AttentionSegments(groupSegments(grids), rows);
    const pos = patchCoordinates(grids, c.mergeSize);
    const rotary = new VisionRotary(c.headDim, c.ropeTheta, pos.h, pos.w);
    const emb = be.linear(x, this.patch.w, this.patch.b);
    const posEmb = this.positions(grids);
    let h = be.add(emb, posEmb);
    be.dispose(emb); be.dispose(posEmb);
    let patchSaliency: Float32Array | null = null;
    const deepstack: Tensor[] = [];
    for (let i = 0; i < this.blocks.length; i++) {
      const L = this.blocks[i];
      const { out: a, saliency: sal } = visionSelfAttention(be, be.layerNorm(h, L.norm1.w, L.norm1.b, EPS), L.qkv, rotary, attn,
        c.heads, c.headDim, saliency && i === this.saliencyLayer);
      if (sal) patchSaliency = sal;
      const h1 = be.layerOps.linearAdd(a, L.proj, h);
      be.dispose(a); be.dispose(h);
      const n2 = be.layerNorm(h1, L.norm2.w, L.norm2.b, EPS);
      const f = be.layerOps.linearGelu(n2, L.fc1, c.act);
      be.dispose(n2);
      h = be.layerOps.linearAdd(f, L.fc2, h1);
      be.dispose(f); be.dispose(h1);
      const k2 = c.deepstackLayers.indexOf(i);
      if (k2 >= 0) {
        const D = this.deepstack[k2];
        const merged = mergeRows(be, h, unit);
        const normed = be.layerNorm(merged, D.norm.w, D.norm.b, EPS);
        be.dispose(merged);
        deepstack.push(mergerMlp(be, normed, D.fc1, D.fc2));
        be.dispose(normed);
      }
    }
    const normed = be.layerNorm(h, this.merger.norm.w, this.merger.norm.b, EPS);
    be.dispose(h);
    const merged = mergeRows(be, normed, unit);
    be.dispose(normed);
    const features = mergerMlp(be, merged, this.merger.fc1, this.merger.fc2);
    be.dispose(merged);
    return { features, deepstack, patchSaliency };
  }

  /** Position embeddings of every patch row of the grids (each temporal group repeats its grid's). */
  private positions(grids: readonly VisionGrid[]): Tensor {
    const c = this.cfg, parts: Tensor[] = [];
    for (const g of grids) {
      const key = `${g.h}x${g.w}`;
      let t = this.posCache.get(key);
      if (t) {
        this.posCache.delete(key); // re-inserted below: the Map's order is least recently used first
      } else {
        t = this.be.fromHost(interpolatePositions(this.posTable, c.positionGrid, c.hiddenSize, g.h, g.w, c.mergeSize), [g.h * g.w, c.hiddenSize]);
      }
      this.posCache.set(key, t);
      for (let i = 0; i < g.t; i++) parts.push(t);
    }
    const out = this.be.concatRows(parts);
    for (const [key, t] of this.posCache) {
      if (this.posCache.size <= 4) break;
      this.be.dispose(t);
      this.posCache.delete(key);
    }
    return out;
  }
}

/** HF's learned-position interpolation (bilinear, align_corners=True, border taps clamped) of a side x side table
 *  [side², H] to an h x w patch grid, rows in merge-block order: [h·w, H]. float32 steps as in torch. */
export function interpolatePositions(table: Float32Array, side: number, H: number, h: number, w: number, m: number): Float32Array {
  const taps = (index: number, size: number): [number, number, number, number] => {
    const src = Math.fround(Math.fround(index * (side - 1)) / Math.max(size - 1, 1));
    const fl = Math.floor(src);
    const frac = Math.fround(src - fl);
    const w0 = Math.max(0, Math.fround(1 - Math.abs(frac))), w1 = Math.max(0, Math.fround(1 - Math.abs(Math.fround(frac - 1))));
    return [Math.min(Math.max(fl, 0), side - 1), Math.min(Math.max(fl + 1, 0), side - 1), w0, w1];
  };
  const out = new Float32Array(h * w * H);
  let r = 0;
  for (let bh = 0; bh < h / m; bh++) {
    for (let bw = 0; bw < w / m; bw++) {
      for (let ih = 0; ih < m; ih++) {
        for (let iw = 0; iw < m; iw++, r++) {
          const [y0, y1, wy0, wy1] = taps(bh * m + ih, h);
          const [x0, x1, wx0, wx1] = taps(bw * m + iw, w);
          const idx = [y0 * side + x0, y0 * side + x1, y1 * side + x0, y1 * side + x1];
          const wt = [Math.fround(wy0 * wx0), Math.fround(wy0 * wx1), Math.fround(wy1 * wx0), Math.fround(wy1 * wx1)];
          const o = r * H;
          for (let j = 0; j < H; j++) {
            let s = 0;
            for (let k = 0; k < 4; k++) s = Math.fround(s + Math.fround(table[idx[k] * H + j] * wt[k]));
            out[o + j] = s;
          }
        }
      }
    }
  }
  return out;
}
