// LLaVA-OneVision / LLaVA-Video (HF LlavaOnevisionForConditionalGeneration), video path:
// SigLIP tower -> hidden_states[vision_feature_layer] -> projector -> bilinear pooling to ceil(grid/2)² per frame
// -> all frames' tokens followed by ONE image_newline -> scattered into the <video> placeholder rows -> Qwen2.
import type { Backend, Tensor } from '../backend/backend.ts';
import { videoGeometry, visionLayersNeeded, type LlavaOnevisionConfig } from './llava-onevision-config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { SiglipVisionTower, siglipTensors } from './siglip.ts';
import { quantizeSiglipTower, type Vision8Options } from './siglip-w8.ts';
import { Projector, poolVideoFeatures, projectorTensors } from './projector.ts';
import { Qwen2, qwen2Tensors } from './qwen2.ts';
import { loadTensors, specList, tensor, type TensorSpec } from './tensor-spec.ts';
import { placeRows } from './place-rows.ts';

/** The checkpoint's tensors, declared by each part. Only the vision layers the projector reads are loaded;
 *  allVisionLayers lists the whole tower (and its post_layernorm) as a checkpoint file holds it. */
export function llavaOnevisionTensors(cfg: LlavaOnevisionConfig, opts: { allVisionLayers?: boolean } = {}) {
  const all = opts.allVisionLayers ?? false;
  return {
    vision: siglipTensors(cfg.vision, all ? cfg.vision.layers : visionLayersNeeded(cfg), all),
    projector: projectorTensors(cfg),
    newline: tensor('image_newline', [cfg.text.hiddenSize], 'normal'),
    text: qwen2Tensors(cfg.text),
  };
}

/** llavaOnevisionTensors as a list, in checkpoint order. */
export function tensorLayout(cfg: LlavaOnevisionConfig, opts: { allVisionLayers?: boolean } = {}): TensorSpec[] {
  return specList(llavaOnevisionTensors(cfg, opts));
}

export interface VideoEncodeOptions {
  /** q, k [n*T, H*d] of the SigLIP layer whose output feeds the projector (for patch saliency), for the n frames
   *  [frame, frame + n) of one tower batch (n = q rows / patches per frame). */
  onFrameQK?: (frame: number, layer: number, q: Tensor, k: Tensor) => void;
  onFrame?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Frames per tower batch (default: as many as fit VISION_BATCH_ROWS patch rows). */
  framesPerBatch?: number;
}

/** Patch rows per vision-tower batch: GEMMs of this many rows keep a GPU busy; activations stay ~1 GB at so400m.
 *  VideoEncodeOptions.framesPerBatch overrides it (1: frame by frame, the previous path). */
export const VISION_BATCH_ROWS = 16384;

export interface VideoEncoding {
  /** [frames * tokensPerFrame + 1, D]: frame-major pooled tokens (row-major grid), then the image_newline row. */
  tokens: Tensor;
  frames: number;
  /** Patch grid side of one frame and pooled side (tokensPerFrame = pooled²). */
  grid: number;
  pooled: number;
  tokensPerFrame: number;
}

export class LlavaOnevision {
  private constructor(readonly be: Backend, readonly config: LlavaOnevisionConfig, readonly vision: SiglipVisionTower,
    readonly projector: Projector, readonly newline: Tensor, readonly llm: Qwen2) {}

  /** vision8: make the vision tower 8-bit (siglip-w8.ts) with these calibration frames and smoothing. */
  static load(be: Backend, src: WeightSource, config: LlavaOnevisionConfig, vision8?: Vision8Options): LlavaOnevision {
    const tower = SiglipVisionTower.load(be, src, config.vision, visionLayersNeeded(config));
    const vision = vision8 ? quantizeSiglipTower(be, tower, vision8) : tower;
    const projector = Projector.load(be, src, config);
    const newline = loadTensors(be, src, llavaOnevisionTensors(config).newline);
    const llm = Qwen2.load(be, src, config.text);
    return new LlavaOnevision(be, config, vision, projector, newline, llm);
  }

  /** The encoder layer (0-based) whose output is the deepest selected hidden state: saliency reads its attention. */
  get saliencyLayer(): number {
    return visionLayersNeeded(this.config) - 1;
  }

  encodeVideo(pixelValues: Float32Array, frames: number, opts: VideoEncodeOptions = {}): VideoEncoding {
    const be = this.be, v = this.config.vision;
    const frameSize = v.channels * v.imageSize * v.imageSize;
    if (pixelValues.length !== frames * frameSize) {
      throw new Error(`pixel values: expected ${frames}×${v.channels}×${v.imageSize}×${v.imageSize} = ${frames * frameSize} floats, got ${pixelValues.length}`);
    }
    const { grid, pooled, tokensPerFrame } = videoGeometry(this.config);
    const parts: Tensor[] = [];
    const qkLayer = this.saliencyLayer;
    const batch = Math.max(1, Math.floor(opts.framesPerBatch ?? VISION_BATCH_ROWS / (grid * grid)));
    for (let f = 0; f < frames; f += batch) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const n = Math.min(batch, frames - f);
      const hs = this.vision.forwardFrames(pixelValues.subarray(f * frameSize, (f + n) * frameSize), n, this.config.featureLayers, {
        qkLayers: opts.onFrameQK && qkLayer >= 0 ? [qkLayer] : [],
        onLayerQK: opts.onFrameQK ? (layer, q, k) => opts.onFrameQK!(f, layer, q, k) : undefined,
      });
      const feat = hs.length === 1 ? hs[0] : concatCols(be, hs);
      const proj = this.projector.forward(feat);
      for (const h of hs) be.dispose(h);
      if (feat !== hs[0]) be.dispose(feat);
      parts.push(poolVideoFeatures(be, proj, n, grid));
      be.dispose(proj);
      opts.onFrame?.(f + n, frames);
    }
    const nl = be.fromHost(be.toHost(this.newline), [1, this.config.text.hiddenSize]);
    const tokens = be.concatRows([...parts, nl]);
    for (const p of parts) be.dispose(p);
    be.dispose(nl);
    return { tokens, frames, grid, pooled, tokensPerFrame };
  }

  /** Text embeddings of `ids` with the rows holding the video token replaced, in order, by `videoTokens` rows. */
  embedPrompt(ids: Int32Array, videoTokens?: Tensor): Tensor {
    const be = this.be;
    const emb = this.llm.embed(ids);
    const vid = this.config.videoTokenId;
    let n = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] === vid) n++;
    const have = videoTokens ? videoTokens.shape[0] : 0;
    if (n !== have) throw new Error(`Video features and video tokens do not match: ${n} <video> tokens (id ${vid}) in the prompt, ${have} video feature rows`);
    if (n === 0) return emb;
    const rows = Int32Array.from(ids.keys()).filter((i) => ids[i] === vid);
    return placeRows(be, emb, rows, videoTokens!);
  }

  /** Full-sequence logits [T, V] for input ids with the video placeholder expanded (the parity interface). */
  logits(ids: Int32Array, pixelValues: Float32Array | null, frames: number): Float32Array {
    const be = this.be;
    const video = pixelValues ? this.encodeVideo(pixelValues, frames) : null;
    const x = this.embedPrompt(ids, video?.tokens);
    if (video) be.dispose(video.tokens);
    const cache = this.llm.createCache(ids.length);
    const positions = Int32Array.from({ length: ids.length }, (_, i) => i);
    const h = this.llm.forward(x, cache, { positions, at: 0 });
    be.dispose(x);
    be.disposeKvCache(cache);
    const logits = this.llm.logits(h);
    be.dispose(h);
    const out = be.toHost(logits);
    return out;
  }
}

function concatCols(be: Backend, parts: Tensor[]): Tensor {
  const rows = parts[0].shape[0];
  const widths = parts.map((p) => p.shape[1]);
  const W = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * W);
  let off = 0;
  for (let p = 0; p < parts.length; p++) {
    const d = be.toHost(parts[p]);
    for (let r = 0; r < rows; r++) out.set(d.subarray(r * widths[p], (r + 1) * widths[p]), r * W + off);
    off += widths[p];
  }
  return be.fromHost(out, [rows, W]);
}
