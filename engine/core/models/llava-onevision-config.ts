// config.json of a LlavaOnevisionForConditionalGeneration folder -> a normalized, validated config. Its towers parse
// their own sections (siglip-config.ts, qwen2-config.ts); HF's defaults (LlavaOnevisionConfig) where a field is absent.
import { ConfigError, geluKind, num, type GeluKind, type Json } from './config-fields.ts';
import { parseQwen2Config, type TextConfig } from './qwen2-config.ts';
import { parseSiglipVisionConfig, type VisionConfig } from './siglip-config.ts';

export interface LlavaOnevisionConfig {
  modelType: string;
  vision: VisionConfig;
  text: TextConfig;
  imageTokenId: number;
  videoTokenId: number;
  /** hidden_states indices (0 = embeddings, i = output of encoder layer i), already made non-negative. */
  featureLayers: number[];
  selectStrategy: 'full';
  projectorAct: GeluKind;
  projectorBias: boolean;
}

export function parseConfig(raw: unknown): LlavaOnevisionConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('not a JSON object');
  const c = raw as Json;
  const modelType = String(c.model_type ?? '');
  if (modelType !== 'llava_onevision') {
    throw new ConfigError(`model_type "${modelType}" is not supported (expected llava_onevision: LLaVA-OneVision / LLaVA-Video in HF format)`);
  }
  const vision = parseSiglipVisionConfig((c.vision_config ?? {}) as Json);
  const text = parseQwen2Config((c.text_config ?? {}) as Json, c.tie_word_embeddings);
  const vfl = c.vision_feature_layer ?? -1;
  const list = Array.isArray(vfl) ? vfl : [vfl];
  const featureLayers = list.map((x) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new ConfigError(`vision_feature_layer must be an integer or a list of integers`);
    const i = x < 0 ? vision.layers + 1 + x : x;
    if (i < 0 || i > vision.layers) throw new ConfigError(`vision_feature_layer ${x} is out of range for ${vision.layers} vision layers`);
    return i;
  });
  const strategy = String(c.vision_feature_select_strategy ?? 'full');
  // "default" drops a CLS token SigLIP does not have; HF's video pooling then cannot reshape the grid either.
  if (strategy !== 'full') throw new ConfigError(`vision_feature_select_strategy "${strategy}" is not supported for video (only "full")`);
  return {
    modelType,
    vision,
    text,
    imageTokenId: num(c, 'image_token_id', num(c, 'image_token_index', 151646, 'config'), 'config'),
    videoTokenId: num(c, 'video_token_id', num(c, 'video_token_index', 151647, 'config'), 'config'),
    featureLayers,
    selectStrategy: 'full',
    projectorAct: geluKind(String(c.projector_hidden_act ?? 'gelu'), 'projector_hidden_act'),
    projectorBias: c.multimodal_projector_bias === undefined ? true : Boolean(c.multimodal_projector_bias),
  };
}

/** Grid of one frame's patches and of its pooled (LLM) tokens. */
export function videoGeometry(cfg: LlavaOnevisionConfig): { grid: number; pooled: number; tokensPerFrame: number } {
  const grid = Math.floor(cfg.vision.imageSize / cfg.vision.patchSize);
  const pooled = Math.ceil(grid / 2);
  return { grid, pooled, tokensPerFrame: pooled * pooled };
}

/** Number of video placeholder tokens HF expects for F frames: F * pooled² + 1 (one image_newline per video). */
export function videoTokenCount(cfg: LlavaOnevisionConfig, frames: number): number {
  return frames * videoGeometry(cfg).tokensPerFrame + 1;
}

/** The encoder layers that must run: up to the deepest selected hidden state. */
export function visionLayersNeeded(cfg: LlavaOnevisionConfig): number {
  return Math.max(...cfg.featureLayers);
}
