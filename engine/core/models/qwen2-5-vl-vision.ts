// Qwen2.5-VL vision tower (HF Qwen2_5_VisionTransformerPretrainedModel): Conv3d patch embedding (a linear on HF's
// flattened patches), 2-D rotary positions, RMSNorm blocks with a gated SiLU MLP, attention within windows except in
// fullatt_block_indexes (within the temporal group), and the 2x2 patch merger (ln_q + MLP).
//
// Like HF, the tower holds its rows reordered so that every window's merged units are contiguous, and puts the merged
// tokens back in input order at the end. Its order differs from HF's in one way that changes no number: windows of
// equal size are grouped (full windows first as they appear, then the edge windows), so each window layer is one
// block-diagonal attention call per window size instead of a gather.
import type { Backend, Tensor } from '../backend/backend.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { AttentionSegments, VisionRotary, invertPermutation, loadBlocks, visionSelfAttention, type LoadedBlock } from './qwen-vision-attention.ts';
import { mergeRows, mergerMlp, runQwenVision, type BatchOutput, type QwenVisionOptions, type QwenVisionOutput } from './qwen-vision-forward.ts';
import { groupSegments, patchCoordinates, windowMergedUnits, type VisionGrid } from './qwen-vision-grid.ts';
import { windowUnits, type Qwen25VisionConfig } from './qwen2-5-vl-vision-config.ts';
import { QWEN_VISION_PREFIX } from './qwen-vision-config.ts';
import { linearSpec, loadTensors, tensor, type Loaded } from './tensor-spec.ts';

const EPS = 1e-6;

/** One block's tensors (HF Qwen2_5_VLVisionBlock). */
export function qwen25VisionBlockTensors(c: Qwen25VisionConfig, i: number) {
  const H = c.hiddenSize, I = c.intermediateSize, p = `${QWEN_VISION_PREFIX}blocks.${i}.`;
  return {
    norm1: tensor(`${p}norm1.weight`, [H], 'ones'),
    qkv: linearSpec(`${p}attn.qkv`, 3 * H, H, true),
    proj: linearSpec(`${p}attn.proj`, H, H, true),
    norm2: tensor(`${p}norm2.weight`, [H], 'ones'),
    gate: linearSpec(`${p}mlp.gate_proj`, I, H, true),
    up: linearSpec(`${p}mlp.up_proj`, I, H, true),
    down: linearSpec(`${p}mlp.down_proj`, H, I, true),
  };
}

/** The tower's tensors under canonical names (checkpoint/weights.ts). The Conv3d kernel is used as [H, C·t·p·p]. */
export function qwen25VisionTensors(c: Qwen25VisionConfig) {
  const H = c.hiddenSize, M = H * c.mergeSize * c.mergeSize;
  const { channels: C, temporalPatchSize: T, patchSize: p } = c;
  return {
    patch: tensor(`${QWEN_VISION_PREFIX}patch_embed.proj.weight`, [H, C, T, p, p], 'normal', [H, C * T * p * p]),
    blocks: Array.from({ length: c.depth }, (_, i) => qwen25VisionBlockTensors(c, i)),
    merger: {
      norm: tensor(`${QWEN_VISION_PREFIX}merger.ln_q.weight`, [H], 'ones'),
      fc1: linearSpec(`${QWEN_VISION_PREFIX}merger.mlp.0`, M, M, true),
      fc2: linearSpec(`${QWEN_VISION_PREFIX}merger.mlp.2`, c.outHiddenSize, M, true),
    },
  };
}

type Block = LoadedBlock<ReturnType<typeof qwen25VisionBlockTensors>>;
type Merger = Loaded<ReturnType<typeof qwen25VisionTensors>['merger']>;

export class Qwen25VisionTower {
  private constructor(private readonly be: Backend, readonly cfg: Qwen25VisionConfig, private readonly patchW: Tensor,
    private readonly blocks: Block[], private readonly merger: Merger) {}

  static load(be: Backend, src: WeightSource, cfg: Qwen25VisionConfig): Qwen25VisionTower {
    const spec = qwen25VisionTensors(cfg);
    return new Qwen25VisionTower(be, cfg, loadTensors(be, src, spec.patch), loadBlocks(be, src, spec.blocks), loadTensors(be, src, spec.merger));
  }

  /** The encoder layer whose attention saliency reads: the last full-attention layer. */
  get saliencyLayer(): number {
    return Math.max(...this.cfg.fullAttentionLayers);
  }

  /** Merged tokens (and saliency) of HF's pixel_values_videos [N, C·t·p·p] for video_grid_thw `grids`. */
  forward(pixels: Float32Array, grids: readonly VisionGrid[], opts: QwenVisionOptions = {}): QwenVisionOutput {
    return runQwenVision(this.be, this.cfg, pixels, grids, opts, (x, g, sal) => this.batch(x, g, sal));
  }

  private batch(x: Tensor, grids: VisionGrid[], saliency: boolean): BatchOutput {
    const be = this.be, c = this.cfg, unit = c.mergeSize * c.mergeSize;
    const rows = x.shape[0];
    const layout = windowLayout(grids, c.mergeSize, windowUnits(c));
    // rowOrder[i]: the input row the tower's row i holds.
    const rowOrder = new Int32Array(rows);
    layout.unitOrder.forEach((u, i) => { for (let j = 0; j < unit; j++) rowOrder[i * unit + j] = u * unit + j; });
    const rowInverse = invertPermutation(rowOrder);
    const identity = rowOrder.every((r, i) => r === i);
    let start = 0;
    const windowAttn = new AttentionSegments(layout.windowSizes.map((n) => {
      const seg = Int32Array.from({ length: n * unit }, (_, i) => start + i);
      start += n * unit;
      return seg;
    }), rows);
    const fullAttn = new AttentionSegments(groupSegments(grids).map((s) => s.map((r) => rowInverse[r])), rows);
    const pos = patchCoordinates(grids, c.mergeSize);
    const rotary = new VisionRotary(c.headDim, c.ropeTheta, rowOrder.map((r) => pos.h[r]), rowOrder.map((r) => pos.w[r]));

    const emb = be.linear(x, this.patchW);
    let h = identity ? emb : be.gatherRows(emb, rowOrder);
    if (!identity) be.dispose(emb);
    let patchSaliency: Float32Array | null = null;
    for (let i = 0; i < this.blocks.length; i++) {
      const L = this.blocks[i];
      const segments = c.fullAttentionLayers.includes(i) ? fullAttn : windowAttn;
      const { out: a, saliency: inTower } = visionSelfAttention(be, be.rmsNorm(h, L.norm1, EPS), L.qkv, rotary, segments,
        c.heads, c.headDim, saliency && i === this.saliencyLayer);
      if (inTower) {
        patchSaliency = new Float32Array(rows);
        for (let r = 0; r < rows; r++) patchSaliency[rowOrder[r]] = inTower[r];
      }
      const h1 = be.layerOps.linearAdd(a, L.proj, h);
      be.dispose(a); be.dispose(h);
      const n2 = be.rmsNorm(h1, L.norm2, EPS);
      const g = be.linear(n2, L.gate.w, L.gate.b), u = be.linear(n2, L.up.w, L.up.b);
      be.dispose(n2);
      const gu = be.siluMul(g, u);
      be.dispose(g); be.dispose(u);
      h = be.layerOps.linearAdd(gu, L.down, h1);
      be.dispose(gu); be.dispose(h1);
    }
    const normed = be.rmsNorm(h, this.merger.norm, EPS);
    be.dispose(h);
    const merged = mergeRows(be, normed, unit);
    be.dispose(normed);
    const out = mergerMlp(be, merged, this.merger.fc1, this.merger.fc2);
    be.dispose(merged);
    if (identity) return { features: out, deepstack: [], patchSaliency };
    const features = be.gatherRows(out, invertPermutation(layout.unitOrder));
    be.dispose(out);
    return { features, deepstack: [], patchSaliency };
  }
}

/** The tower's merged-unit order: HF's windows grouped by size (in order of first appearance), and the sizes (in
 *  merged units) of the windows in that order. */
export function windowLayout(grids: readonly VisionGrid[], mergeSize: number, units: number): { unitOrder: Int32Array; windowSizes: number[] } {
  const bySize = new Map<number, Int32Array[]>();
  for (const w of windowMergedUnits(grids, mergeSize, units)) {
    const list = bySize.get(w.length);
    if (list) list.push(w); else bySize.set(w.length, [w]);
  }
  const windows = [...bySize.values()].flat();
  const unitOrder = new Int32Array(windows.reduce((a, w) => a + w.length, 0));
  let o = 0;
  for (const w of windows) { unitOrder.set(w, o); o += w.length; }
  return { unitOrder, windowSizes: windows.map((w) => w.length) };
}
