// config.json bodies for random-weight checkpoints (make-checkpoint) and synthetic-weight benchmarks.
// '0.5b' is llava-onevision-qwen2-0.5b-ov geometry; '7b' is LLaVA-Video-7B-Qwen2 geometry (both SigLIP-so400m/14 @384).

export type PresetName = 'tiny' | 'small' | '0.5b' | '7b';
export const PRESETS: readonly PresetName[] = ['tiny', 'small', '0.5b', '7b'];

interface PresetShape {
  vision: { hidden: number; inter: number; layers: number; heads: number; image: number; patch: number };
  text: { hidden: number; inter: number; layers: number; heads: number; kvHeads: number; vocab?: number; tie: boolean; ropeTheta: number };
  /** Write the newer rope_parameters form instead of rope_theta. */
  ropeParameters: boolean;
}

const SHAPES: Record<PresetName, PresetShape> = {
  tiny: {
    vision: { hidden: 32, inter: 64, layers: 2, heads: 2, image: 32, patch: 8 },
    text: { hidden: 32, inter: 64, layers: 2, heads: 4, kvHeads: 2, tie: false, ropeTheta: 10000 },
    ropeParameters: false,
  },
  small: {
    vision: { hidden: 64, inter: 128, layers: 3, heads: 4, image: 64, patch: 8 },
    text: { hidden: 64, inter: 160, layers: 3, heads: 4, kvHeads: 1, tie: true, ropeTheta: 1000000 },
    ropeParameters: true,
  },
  '0.5b': {
    vision: { hidden: 1152, inter: 4304, layers: 26, heads: 16, image: 384, patch: 14 },
    text: { hidden: 896, inter: 4864, layers: 24, heads: 14, kvHeads: 2, vocab: 151936, tie: true, ropeTheta: 1000000 },
    ropeParameters: false,
  },
  '7b': {
    vision: { hidden: 1152, inter: 4304, layers: 26, heads: 16, image: 384, patch: 14 },
    text: { hidden: 3584, inter: 18944, layers: 28, heads: 28, kvHeads: 4, vocab: 152064, tie: false, ropeTheta: 1000000 },
    ropeParameters: false,
  },
};

export interface PresetTokens {
  vocabSize: number;
  imageTokenId: number;
  videoTokenId: number;
  bosTokenId?: number;
  eosTokenId: number;
  padTokenId: number;
}

/** Real-vocabulary token ids (Qwen2) for presets without a generated tokenizer. */
export const QWEN2_TOKENS: PresetTokens = {
  vocabSize: 151936, imageTokenId: 151646, videoTokenId: 151647, eosTokenId: 151645, padTokenId: 151643,
};

export function presetConfig(name: PresetName, tokens: PresetTokens = QWEN2_TOKENS): Record<string, unknown> {
  const s = SHAPES[name];
  if (!s) throw new Error(`unknown preset "${name}" (known: ${PRESETS.join(', ')})`);
  const vocab = s.text.vocab ?? tokens.vocabSize;
  const text: Record<string, unknown> = {
    model_type: 'qwen2',
    hidden_size: s.text.hidden,
    intermediate_size: s.text.inter,
    num_hidden_layers: s.text.layers,
    num_attention_heads: s.text.heads,
    num_key_value_heads: s.text.kvHeads,
    vocab_size: Math.max(vocab, tokens.vocabSize),
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-6,
    hidden_act: 'silu',
    tie_word_embeddings: s.text.tie,
    eos_token_id: tokens.eosTokenId,
    bos_token_id: tokens.bosTokenId ?? tokens.eosTokenId,
    torch_dtype: 'float32',
  };
  if (s.ropeParameters) text.rope_parameters = { rope_type: 'default', rope_theta: s.text.ropeTheta };
  else text.rope_theta = s.text.ropeTheta;
  return {
    architectures: ['LlavaOnevisionForConditionalGeneration'],
    model_type: 'llava_onevision',
    image_token_id: tokens.imageTokenId,
    image_token_index: tokens.imageTokenId,
    video_token_id: tokens.videoTokenId,
    video_token_index: tokens.videoTokenId,
    projector_hidden_act: 'gelu',
    multimodal_projector_bias: true,
    vision_feature_layer: -1,
    vision_feature_select_strategy: 'full',
    vision_aspect_ratio: 'anyres_max_9',
    tie_word_embeddings: s.text.tie,
    text_config: text,
    vision_config: {
      model_type: 'siglip_vision_model',
      hidden_size: s.vision.hidden,
      intermediate_size: s.vision.inter,
      num_hidden_layers: s.vision.layers,
      num_attention_heads: s.vision.heads,
      image_size: s.vision.image,
      patch_size: s.vision.patch,
      num_channels: 3,
      hidden_act: 'gelu_pytorch_tanh',
      layer_norm_eps: 1e-6,
      vision_use_head: false,
    },
  };
}
