// Will this turn fit, for a Qwen2.5-VL / Qwen3-VL model: the frames and frame size its processor picks for this video
// under the settings' rate sampling and pixel budget (the engine's own functions), the visual tokens that gives and
// keeps after prefill pruning, then weights + KV cache + the largest transient activations, counted the way
// memory-estimate.ts counts them for LLaVA-OneVision.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MemoryEstimate, Settings, VideoInfo } from '../../../electron/contract.ts';
import { resolvePolicy } from '../../core/sparse/policy.ts';
import { prefillKeepCount } from '../../core/sparse/select.ts';
import { isQwenPreprocess, loadVideoPreprocess } from '../../core/video/preprocess-config.ts';
import type { QwenVideoConfig } from '../../core/video/qwen-video-config.ts';
import { memoryVerdict } from './memory-estimate.ts';
import { qwenFrameSize, qwenSampleIndices, qwenVideoGrid, qwenVideoTokenCount, type QwenVideoGrid } from '../../core/video/qwen-video-processor.ts';
import { withRateSampling } from '../video-preprocess.ts';
import { qwenVlDimsOf, type QwenVlDims } from './qwen-vl-size.ts';
import { weightMemoryBytes, type WeightCounts } from './memory-estimate.ts';

export interface SourceVideo {
  width: number;
  height: number;
  frameCount: number;
  fps: number;
}

export interface QwenVideoPlan {
  frames: number;
  width: number;
  height: number;
  grid: QwenVideoGrid;
  /** LLM tokens per temporal patch (the merged grid), and in all. */
  tokensPerGroup: number;
  tokens: number;
}

/** What the processor will make of this video: HF's sampling and smart_resize, as prepareVideo runs them. */
export function qwenVideoPlan(cfg: QwenVideoConfig, source: SourceVideo): QwenVideoPlan {
  const frames = qwenSampleIndices(cfg, source.frameCount, source.fps).length;
  const { width, height } = qwenFrameSize(cfg, source.width, source.height, frames);
  const grid = qwenVideoGrid(cfg, frames, width, height);
  const tokensPerGroup = (grid.h * grid.w) / (cfg.mergeSize * cfg.mergeSize);
  return { frames, width, height, grid, tokensPerGroup, tokens: qwenVideoTokenCount(grid, cfg.mergeSize) };
}

/** Video tokens of the prompt and how many the KV cache keeps after prefill pruning (per temporal patch floors). */
export function qwenVisualTokens(plan: QwenVideoPlan, settings: Settings): { total: number; kept: number } {
  const p = resolvePolicy(settings);
  if (!p.saliency) return { total: plan.tokens, kept: plan.tokens };
  const kept = prefillKeepCount({ frames: plan.grid.t, tokensPerFrame: plan.tokensPerGroup, sparsity: p.prefillSparsity, perFrameFloor: p.perFrameFloor });
  return { total: plan.tokens, kept };
}

export interface QwenEstimateInput {
  video: QwenVideoConfig;
  source: SourceVideo;
  dims: QwenVlDims;
  /** A plain parameter count (all 16/32-bit), or the counts by storage of a 4-bit model (memory-estimate.ts). */
  parameters: number | WeightCounts;
  settings: Settings;
  backend: 'cpu' | 'cuda';
  availableBytes: number;
  weightsResident?: boolean;
}

export function estimateQwenMemory(input: QwenEstimateInput): MemoryEstimate {
  const { dims, settings } = input;
  const elem = input.backend === 'cuda' ? 2 : 4;
  const plan = qwenVideoPlan(input.video, input.source);
  const { total, kept } = qwenVisualTokens(plan, settings);
  // Template + question + answer room; Qwen3-VL adds a `<t seconds>` text (about 6 tokens) per temporal patch.
  const textTokens = 64 + 512 + (dims.family === 'qwen3-vl' ? 6 * plan.grid.t : 0);
  const seq = kept + textTokens + settings.maxNewTokens;
  const t = dims.text;
  const weightsBytes = weightMemoryBytes(typeof input.parameters === 'number' ? { dense: input.parameters, q4: 0, q4Groups: 0 } : input.parameters, input.backend);
  const perToken = t.layers * 2 * t.kvHeads * t.headDim * elem;
  const denseTwin = settings.measureDense && settings.policy !== 'dense' ? total + textTokens + settings.maxNewTokens : 0;
  const kvBytes = perToken * (seq + denseTwin);
  const v = dims.vision;
  const patches = plan.grid.t * plan.grid.h * plan.grid.w;
  const perGroup = plan.grid.h * plan.grid.w;
  // Vision tower over every patch: hidden states, the MLP's widest layer, one head's attention rows of a temporal patch.
  const vision = patches * (v.hidden * 4 + v.intermediate) * elem + perGroup * perGroup * 4;
  // pixel_values_videos (float32) and the merged features (plus DeepStack's) before pruning.
  const videoBytes = patches * 3 * v.temporalPatch * v.patch * v.patch * 4 + total * v.outHidden * elem * (2 + (v.deepstackLayers ?? 0));
  const prefill = seq * (t.hidden * 4 + t.intermediate * 2) * elem + t.vocab * 4;
  const activationBytes = vision + videoBytes + prefill;
  const sampled = `${plan.frames} frames at ${plan.width}x${plan.height}`;
  return memoryVerdict({
    weightsBytes, kvBytes, activationBytes, availableBytes: input.availableBytes, backend: input.backend, weightsResident: input.weightsResident,
    visualTokens: { total, kept },
    sampling: { frames: plan.frames, width: plan.width, height: plan.height, temporalPatches: plan.grid.t, tokensPerPatch: plan.tokensPerGroup },
    fitsNote: `; ${sampled}`,
    kvDetail: `for ${kept} visual tokens from ${sampled}`,
    advice: 'Lower the frames per second, the maximum frames or the maximum pixels, raise the prefill sparsity, or use a smaller model.',
  });
}

/** The estimate for a Qwen-VL model folder on a library video, with the settings' rate sampling and pixel budget. */
export function estimateQwenModel(
  modelDir: string,
  parameters: number | WeightCounts,
  video: Pick<VideoInfo, 'width' | 'height' | 'fps' | 'durationSec' | 'frameCount'>,
  rest: Pick<QwenEstimateInput, 'settings' | 'backend' | 'availableBytes' | 'weightsResident'>,
): MemoryEstimate {
  const dims = qwenVlDimsOf(JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>);
  const preprocess = loadVideoPreprocess(modelDir, dims.family);
  if (!isQwenPreprocess(preprocess)) throw new Error(`${modelDir}: not a Qwen-VL processor`);
  return estimateQwenMemory({
    ...rest,
    video: withRateSampling(preprocess, rest.settings),
    source: { width: video.width, height: video.height, fps: video.fps, frameCount: video.frameCount ?? Math.round(video.durationSec * video.fps) },
    dims,
    parameters,
  });
}
