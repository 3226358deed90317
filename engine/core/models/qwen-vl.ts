// Qwen2.5-VL and Qwen3-VL assembled (HF Qwen2_5_VLForConditionalGeneration / Qwen3VLForConditionalGeneration), video
// path: vision tower -> merged tokens (+ DeepStack features) -> the video placeholder rows of the prompt -> the Qwen
// decoder with multimodal RoPE positions (qwen-vl-positions.ts). What differs by family (the tower, how a video splits
// into visual blocks) comes from qwen2-5-vl.ts / qwen3-vl.ts.
import type { Backend, Tensor } from '../backend/backend.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { textPositions, type MropePositions } from './mrope.ts';
import { placeRows } from './place-rows.ts';
import type { QwenVlConfig } from './qwen-vl-config.ts';
import {
  keptPerBlock, placeBlocks, ropeIndex, visualRuns, type PrunedPositions, type VisualBlock,
} from './qwen-vl-positions.ts';
import type { QwenVisionOptions, QwenVisionOutput } from './qwen-vision-forward.ts';
import type { VisionGrid } from './qwen-vision-grid.ts';
import { Qwen2 } from './qwen2.ts';

/** A family's vision tower as the assembly uses it. */
export interface QwenVisionTowerLike {
  forward(pixels: Float32Array, grids: readonly VisionGrid[], opts?: QwenVisionOptions): QwenVisionOutput;
}

/** What one family contributes. */
export interface QwenVlArchitecture<C extends QwenVlConfig> {
  loadTower(be: Backend, src: WeightSource, cfg: C): QwenVisionTowerLike;
  /** The visual blocks (without their prompt rows) of videos with these patch grids, in prompt order. */
  videoBlockGrids(cfg: C, grids: readonly VisionGrid[], secondPerGrid: readonly number[]): Omit<VisualBlock, 'start'>[];
}

/** A prompt in HF's form: ids with each video placeholder expanded to its merged-grid token count. */
export interface QwenVlPrompt {
  ids: Int32Array;
  /** Rows that hold video tokens (mm_token_type_ids == 2), ascending. */
  videoRows: Int32Array;
  /** video_grid_thw (patch grids) and second_per_grid_ts (Qwen2.5-VL), one entry per video. */
  grids: VisionGrid[];
  secondPerGrid: number[];
}

/** A video as the language model receives it: merged tokens [N, D] and Qwen3-VL's DeepStack features. */
export interface VideoTokens {
  features: Tensor;
  deepstack?: readonly Tensor[];
}

/** The rows holding the video token id (what HF's processor marks with mm_token_type_ids 2). */
export function videoTokenRows(ids: Int32Array, videoTokenId: number): Int32Array {
  return Int32Array.from(ids.keys()).filter((i) => ids[i] === videoTokenId);
}

export class QwenVl {
  private constructor(readonly be: Backend, readonly config: QwenVlConfig, readonly tower: QwenVisionTowerLike,
    readonly llm: Qwen2, private readonly arch: QwenVlArchitecture<QwenVlConfig>) {}

  static load(be: Backend, src: WeightSource, config: QwenVlConfig, arch: QwenVlArchitecture<QwenVlConfig>): QwenVl {
    const tower = arch.loadTower(be, src, config);
    return new QwenVl(be, config, tower, Qwen2.load(be, src, config.text), arch);
  }

  /** Merged tokens (+ DeepStack, + saliency) of HF's pixel_values_videos for these grids. */
  encodeVideo(pixels: Float32Array, grids: readonly VisionGrid[], opts: QwenVisionOptions = {}): QwenVisionOutput {
    return this.tower.forward(pixels, grids, opts);
  }

  /** The prompt's visual blocks placed on its video rows. */
  blocks(prompt: QwenVlPrompt): VisualBlock[] {
    const isVideo = new Uint8Array(prompt.ids.length);
    for (const r of prompt.videoRows) isVideo[r] = 1;
    return placeBlocks(visualRuns((r) => isVideo[r] === 1, prompt.ids.length),
      this.arch.videoBlockGrids(this.config, prompt.grids, prompt.secondPerGrid));
  }

  /** M-RoPE positions of the prompt's rows, or with `kept` (ascending indices over all its video tokens) of the rows
   *  that stay after prefill pruning; `next`: where text appended to the prompt continues; `maxPosition`: the largest
   *  position (generated rows continue one past it, qwen-vl-positions.ts). */
  positions(prompt: QwenVlPrompt, kept?: Int32Array, pruned: PrunedPositions = 'original'): ReturnType<typeof ropeIndex> {
    let blocks = this.blocks(prompt);
    if (kept) {
      const per = keptPerBlock(blocks, kept);
      blocks = blocks.map((b, i) => ({ ...b, kept: per[i] }));
    }
    return ropeIndex(prompt.ids.length, blocks, pruned);
  }

  /** Text embeddings of the ids with the video rows replaced, in order, by the video's merged tokens. */
  embedPrompt(ids: Int32Array, videoRows: Int32Array, features: Tensor | null): Tensor {
    const have = features ? features.shape[0] : 0;
    if (videoRows.length !== have) {
      throw new Error(`Video features and video tokens do not match: ${videoRows.length} video tokens in the prompt, ${have} feature rows`);
    }
    const emb = this.llm.embed(ids);
    return features ? placeRows(this.be, emb, videoRows, features) : emb;
  }

  /** Full-sequence logits [T, V] of a prompt with its video (the parity interface). `video`: the tokens the language
   *  model receives (e.g. encodeVideo's), or null for a text-only prompt. */
  logits(prompt: QwenVlPrompt, video: VideoTokens | null): Float32Array {
    const be = this.be, T = prompt.ids.length;
    const x = this.embedPrompt(prompt.ids, prompt.videoRows, video?.features ?? null);
    const { positions } = prompt.videoRows.length ? this.positions(prompt) : { positions: textPositions(0, T) };
    const cache = this.llm.createCache(T);
    const deepstack = video?.deepstack?.length ? { rows: prompt.videoRows, features: video.deepstack } : undefined;
    const h = this.llm.forward(x, cache, { positions, at: 0, deepstack });
    be.dispose(x);
    be.disposeKvCache(cache);
    const logits = this.llm.logits(h);
    be.dispose(h);
    const out = be.toHost(logits);
    be.dispose(logits);
    return out;
  }
}
