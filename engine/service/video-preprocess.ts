// The video preprocessing a conversation's turn uses: the model folder's processor, with the settings' rate sampling
// and pixel budget applied when that processor picks frames and sizes itself (Qwen-VL). The filmstrip and the engine
// both ask here, so the filmstrip shows the frames the model sees.
import type { ModelInfo, Settings } from '../../electron/contract.ts';
import { isQwenPreprocess, loadVideoPreprocess, type VideoPreprocess } from '../core/video/preprocess-config.ts';
import { qwenFamilyOf, withQwenOverrides, type QwenVideoConfig } from '../core/video/qwen-video-config.ts';

export type RateSampling = Pick<Settings, 'sampleFps' | 'maxFrames' | 'maxPixels'>;

export function videoPreprocessFor(modelDir: string, s: RateSampling): VideoPreprocess {
  const p = loadVideoPreprocess(modelDir);
  return isQwenPreprocess(p) ? withRateSampling(p, s) : p;
}

export function withRateSampling(p: QwenVideoConfig, s: RateSampling): QwenVideoConfig {
  return withQwenOverrides(p, { fps: s.sampleFps ?? undefined, maxFrames: s.maxFrames ?? undefined, maxPixels: s.maxPixels ?? undefined });
}

/** What the model manager and the settings show of a rate-sampling processor (ModelInfo.video); undefined for the
 *  other families (config.json's model_type decides). */
export function modelVideoInfo(modelDir: string, modelType: unknown): ModelInfo['video'] {
  const family = qwenFamilyOf(modelType);
  if (!family) return undefined;
  const p = loadVideoPreprocess(modelDir, family);
  if (!isQwenPreprocess(p)) return undefined;
  return {
    family: p.family, fps: p.fps, minFrames: p.minFrames, maxFrames: p.maxFrames, minPixels: p.minPixels, maxPixels: p.maxPixels,
    budget: p.family === 'qwen3-vl' ? 'video' : 'frame', patchSize: p.patchSize, mergeSize: p.mergeSize, temporalPatchSize: p.temporalPatchSize,
  };
}
