// config.json of a LlavaOnevisionForConditionalGeneration folder -> a normalized, validated config.
// Defaults are Hugging Face's (LlavaOnevisionConfig, SiglipVisionConfig, Qwen2Config) where a field is absent.

export type GeluKind = 'tanh' | 'erf';

export interface VisionConfig {
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  headDim: number;
  imageSize: number;
  patchSize: number;
  channels: number;
  layerNormEps: number;
  act: GeluKind;
}

export interface TextConfig {
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
}

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

export class ConfigError extends Error {
  constructor(msg: string) {
    super(`config.json: ${msg}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

function num(o: Json, key: string, def: number | undefined, where: string): number {
  const v = o[key];
  if (v === undefined || v === null) {
    if (def === undefined) throw new ConfigError(`${where}.${key} is missing`);
    return def;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${where}.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function posInt(o: Json, key: string, def: number | undefined, where: string): number {
  const v = num(o, key, def, where);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${where}.${key} must be a positive integer, got ${v}`);
  return v;
}

export function geluKind(act: string, where: string): GeluKind {
  if (act === 'gelu') return 'erf';
  if (act === 'gelu_pytorch_tanh' || act === 'gelu_new' || act === 'gelu_fast') return 'tanh';
  throw new ConfigError(`${where}: unsupported activation "${act}" (expected gelu or gelu_pytorch_tanh)`);
}

function parseVision(v: Json): VisionConfig {
  const w = 'vision_config';
  if (v.model_type !== undefined && v.model_type !== 'siglip_vision_model') {
    throw new ConfigError(`${w}.model_type "${String(v.model_type)}" is not supported (only siglip_vision_model)`);
  }
  const hiddenSize = posInt(v, 'hidden_size', 1152, w);
  const heads = posInt(v, 'num_attention_heads', 16, w);
  if (hiddenSize % heads !== 0) throw new ConfigError(`${w}.hidden_size ${hiddenSize} is not divisible by num_attention_heads ${heads}`);
  const imageSize = posInt(v, 'image_size', 384, w);
  const patchSize = posInt(v, 'patch_size', 14, w);
  return {
    hiddenSize,
    intermediateSize: posInt(v, 'intermediate_size', 4304, w),
    layers: posInt(v, 'num_hidden_layers', 26, w),
    heads,
    headDim: hiddenSize / heads,
    imageSize,
    patchSize,
    channels: posInt(v, 'num_channels', 3, w),
    layerNormEps: num(v, 'layer_norm_eps', 1e-6, w),
    act: geluKind(String(v.hidden_act ?? 'gelu_pytorch_tanh'), `${w}.hidden_act`),
  };
}

function ropeTheta(t: Json, w: string): number {
  const rp = t.rope_parameters as Json | undefined;
  if (rp && typeof rp === 'object') {
    const type = (rp.rope_type ?? rp.type ?? 'default') as string;
    if (type !== 'default') throw new ConfigError(`${w}.rope_parameters.rope_type "${type}" is not supported (only default)`);
    return num(rp, 'rope_theta', num(t, 'rope_theta', 10000, w), `${w}.rope_parameters`);
  }
  const rs = t.rope_scaling as Json | null | undefined;
  if (rs && typeof rs === 'object') {
    const type = (rs.rope_type ?? rs.type ?? 'default') as string;
    if (type !== 'default') throw new ConfigError(`${w}.rope_scaling type "${type}" is not supported (only default)`);
  }
  return num(t, 'rope_theta', 10000, w);
}

function parseText(t: Json, topTie: unknown): TextConfig {
  const w = 'text_config';
  if (t.model_type !== undefined && t.model_type !== 'qwen2') {
    throw new ConfigError(`${w}.model_type "${String(t.model_type)}" is not supported (only qwen2)`);
  }
  const hiddenSize = posInt(t, 'hidden_size', 4096, w);
  const heads = posInt(t, 'num_attention_heads', 32, w);
  const kvHeads = posInt(t, 'num_key_value_heads', heads, w);
  if (heads % kvHeads !== 0) throw new ConfigError(`${w}.num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = t.head_dim == null ? hiddenSize / heads : posInt(t, 'head_dim', undefined, w);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ConfigError(`${w}: head dim ${headDim} must be an even integer`);
  if (String(t.hidden_act ?? 'silu') !== 'silu') throw new ConfigError(`${w}.hidden_act "${String(t.hidden_act)}" is not supported (only silu)`);
  const tie = t.tie_word_embeddings ?? topTie ?? false;
  return {
    hiddenSize,
    intermediateSize: posInt(t, 'intermediate_size', 22016, w),
    layers: posInt(t, 'num_hidden_layers', 32, w),
    heads,
    kvHeads,
    headDim,
    vocabSize: posInt(t, 'vocab_size', 151936, w),
    rmsNormEps: num(t, 'rms_norm_eps', 1e-6, w),
    ropeTheta: ropeTheta(t, w),
    maxPositions: posInt(t, 'max_position_embeddings', 32768, w),
    tieWordEmbeddings: Boolean(tie),
  };
}

export function parseConfig(raw: unknown): LlavaOnevisionConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('not a JSON object');
  const c = raw as Json;
  const modelType = String(c.model_type ?? '');
  if (modelType !== 'llava_onevision') {
    throw new ConfigError(`model_type "${modelType}" is not supported (expected llava_onevision: LLaVA-OneVision / LLaVA-Video in HF format)`);
  }
  const vision = parseVision((c.vision_config ?? {}) as Json);
  const text = parseText((c.text_config ?? {}) as Json, c.tie_word_embeddings);
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
