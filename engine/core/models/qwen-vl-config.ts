// config.json of a Qwen2.5-VL (Qwen2_5_VLForConditionalGeneration) or Qwen3-VL (Qwen3VLForConditionalGeneration)
// folder -> a validated config: the text model (nested text_config, or the flat form of the Qwen2.5-VL hub configs),
// the vision tower's config, the placeholder token ids and the video timing fields.
import { ConfigError, num, posInt, type Json } from './config-fields.ts';
import { parseQwen2Config, type TextConfig, type TextFamily } from './qwen2-config.ts';
import { parseQwen25VisionConfig, type Qwen25VisionConfig } from './qwen2-5-vl-vision-config.ts';
import { parseQwen3VisionConfig, type Qwen3VisionConfig } from './qwen3-vl-vision-config.ts';

export type QwenVlFamily = 'qwen2_5_vl' | 'qwen3_vl';

interface QwenVlCommon {
  text: TextConfig;
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
  visionEndTokenId: number;
}
export interface Qwen25VlConfig extends QwenVlCommon {
  family: 'qwen2_5_vl';
  vision: Qwen25VisionConfig;
  /** vision_config.tokens_per_second: temporal positions per second of video. */
  tokensPerSecond: number;
}
export interface Qwen3VlConfig extends QwenVlCommon {
  family: 'qwen3_vl';
  vision: Qwen3VisionConfig;
}
export type QwenVlConfig = Qwen25VlConfig | Qwen3VlConfig;

const TEXT: Record<QwenVlFamily, TextFamily> = {
  qwen2_5_vl: { modelTypes: ['qwen2_5_vl_text', 'qwen2_5_vl'], qwen3: false, mrope: 'chunked' },
  qwen3_vl: { modelTypes: ['qwen3_vl_text'], qwen3: true, mrope: 'interleaved' },
};
const ARCHITECTURES: Record<string, QwenVlFamily> = {
  Qwen2_5_VLForConditionalGeneration: 'qwen2_5_vl',
  Qwen3VLForConditionalGeneration: 'qwen3_vl',
};

/** The Qwen-VL family a config.json describes (by model_type, else architectures), or null for another model. */
export function qwenVlFamily(raw: Json): QwenVlFamily | null {
  if (raw.model_type === 'qwen2_5_vl' || raw.model_type === 'qwen3_vl') return raw.model_type;
  const arch = Array.isArray(raw.architectures) ? raw.architectures.map(String) : [];
  for (const a of arch) if (ARCHITECTURES[a]) return ARCHITECTURES[a];
  return null;
}

function sub(raw: Json, key: string): Json | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${key} must be an object`);
  return v as Json;
}

export function parseQwenVlConfig(raw: Json): QwenVlConfig {
  const family = qwenVlFamily(raw);
  if (!family) throw new ConfigError(`model_type "${String(raw.model_type)}" is not Qwen2.5-VL or Qwen3-VL`);
  const visionJson = sub(raw, 'vision_config');
  if (!visionJson) throw new ConfigError('vision_config is missing');
  // Hub Qwen2.5-VL configs are flat (the text fields at the top level); transformers 5 nests them in text_config.
  const textJson = sub(raw, 'text_config') ?? (family === 'qwen2_5_vl' ? { ...raw, model_type: undefined } : undefined);
  if (!textJson) throw new ConfigError('text_config is missing');
  const text = parseQwen2Config(textJson, raw.tie_word_embeddings, TEXT[family]);
  if (!text.mrope) throw new ConfigError('text_config: the multimodal RoPE section (mrope_section) is missing');
  const ids = {
    imageTokenId: posInt(raw, 'image_token_id', 151655, 'config'),
    videoTokenId: posInt(raw, 'video_token_id', 151656, 'config'),
    visionStartTokenId: posInt(raw, 'vision_start_token_id', 151652, 'config'),
    visionEndTokenId: posInt(raw, 'vision_end_token_id', 151653, 'config'),
  };
  for (const [k, v] of Object.entries(ids)) {
    if (v >= text.vocabSize) throw new ConfigError(`${k} ${v} is outside the vocabulary (${text.vocabSize})`);
  }
  if (family === 'qwen3_vl') {
    const vision = parseQwen3VisionConfig(visionJson);
    if (vision.outHiddenSize !== text.hiddenSize) throw new ConfigError(`vision_config.out_hidden_size ${vision.outHiddenSize} differs from text hidden_size ${text.hiddenSize}`);
    if (vision.deepstackLayers.length > text.layers) throw new ConfigError(`${vision.deepstackLayers.length} DeepStack feature sets for ${text.layers} text layers`);
    return { family, text, vision, ...ids };
  }
  const vision = parseQwen25VisionConfig(visionJson);
  if (vision.outHiddenSize !== text.hiddenSize) throw new ConfigError(`vision_config.out_hidden_size ${vision.outHiddenSize} differs from text hidden_size ${text.hiddenSize}`);
  const tokensPerSecond = num(visionJson, 'tokens_per_second', 4, 'vision_config');
  if (!(tokensPerSecond > 0)) throw new ConfigError(`vision_config.tokens_per_second must be positive, got ${tokensPerSecond}`);
  return { family, text, vision, tokensPerSecond, ...ids };
}
