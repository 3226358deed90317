// config.json bodies (transformers 5 nested form) of Qwen-VL geometries for synthetic-weight benchmarks and tests:
// 'qwen2.5-vl-7b' is Qwen/Qwen2.5-VL-7B-Instruct, 'qwen3-vl-8b' is Qwen/Qwen3-VL-8B-Instruct, the '-tiny' ones are
// small towers and decoders with the real vocabulary and special-token ids (CPU tests of the same code path).

export type QwenPresetName = 'qwen2.5-vl-7b' | 'qwen3-vl-8b' | 'qwen2.5-vl-tiny' | 'qwen3-vl-tiny';
export const QWEN_PRESETS: readonly QwenPresetName[] = ['qwen2.5-vl-7b', 'qwen3-vl-8b', 'qwen2.5-vl-tiny', 'qwen3-vl-tiny'];

export const isQwenPreset = (name: string): name is QwenPresetName => (QWEN_PRESETS as readonly string[]).includes(name);

/** The published repos' special tokens (both families share them). */
export const QWEN_VL_SPECIAL_TOKENS = {
  '<|endoftext|>': 151643, '<|im_start|>': 151644, '<|im_end|>': 151645,
  '<|vision_start|>': 151652, '<|vision_end|>': 151653, '<|image_pad|>': 151655, '<|video_pad|>': 151656,
} as const;

interface TextShape { hidden: number; inter: number; layers: number; heads: number; kvHeads: number; headDim?: number; vocab: number; ropeTheta: number; mrope: number[]; tie: boolean }

function textConfig(family: 'qwen2_5_vl' | 'qwen3_vl', s: TextShape): Record<string, unknown> {
  const qwen3 = family === 'qwen3_vl';
  return {
    model_type: qwen3 ? 'qwen3_vl_text' : 'qwen2_5_vl_text',
    hidden_size: s.hidden, intermediate_size: s.inter, num_hidden_layers: s.layers, num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads, ...(s.headDim ? { head_dim: s.headDim } : {}), vocab_size: s.vocab,
    max_position_embeddings: 128000, rms_norm_eps: 1e-6, hidden_act: 'silu', tie_word_embeddings: s.tie,
    ...(qwen3 ? { attention_bias: false } : {}),
    bos_token_id: QWEN_VL_SPECIAL_TOKENS['<|endoftext|>'], eos_token_id: QWEN_VL_SPECIAL_TOKENS['<|im_end|>'],
    rope_parameters: { rope_type: 'default', rope_theta: s.ropeTheta, mrope_section: s.mrope, ...(qwen3 ? { mrope_interleaved: true } : {}) },
  };
}

function qwenConfig(family: 'qwen2_5_vl' | 'qwen3_vl', text: TextShape, vision: Record<string, unknown>): Record<string, unknown> {
  const t = QWEN_VL_SPECIAL_TOKENS;
  return {
    architectures: [family === 'qwen3_vl' ? 'Qwen3VLForConditionalGeneration' : 'Qwen2_5_VLForConditionalGeneration'],
    model_type: family, tie_word_embeddings: text.tie, text_config: textConfig(family, text),
    vision_config: { ...vision, model_type: `${family}_vision`, in_channels: 3, spatial_merge_size: 2, temporal_patch_size: 2 },
    image_token_id: t['<|image_pad|>'], video_token_id: t['<|video_pad|>'],
    vision_start_token_id: t['<|vision_start|>'], vision_end_token_id: t['<|vision_end|>'],
  };
}

const VOCAB = 151936;

export function qwenPresetConfig(name: QwenPresetName): Record<string, unknown> {
  switch (name) {
    case 'qwen2.5-vl-7b':
      return qwenConfig('qwen2_5_vl',
        { hidden: 3584, inter: 18944, layers: 28, heads: 28, kvHeads: 4, vocab: 152064, ropeTheta: 1e6, mrope: [16, 24, 24], tie: false },
        { depth: 32, hidden_size: 1280, intermediate_size: 3420, num_heads: 16, out_hidden_size: 3584, patch_size: 14,
          window_size: 112, fullatt_block_indexes: [7, 15, 23, 31], tokens_per_second: 2, hidden_act: 'silu' });
    case 'qwen3-vl-8b':
      return qwenConfig('qwen3_vl',
        { hidden: 4096, inter: 12288, layers: 36, heads: 32, kvHeads: 8, headDim: 128, vocab: VOCAB, ropeTheta: 5e6, mrope: [24, 20, 20], tie: false },
        { depth: 27, hidden_size: 1152, intermediate_size: 4304, num_heads: 16, out_hidden_size: 4096, patch_size: 16,
          num_position_embeddings: 2304, deepstack_visual_indexes: [8, 16, 24], hidden_act: 'gelu_pytorch_tanh' });
    case 'qwen2.5-vl-tiny':
      return qwenConfig('qwen2_5_vl',
        { hidden: 64, inter: 128, layers: 2, heads: 4, kvHeads: 2, vocab: VOCAB, ropeTheta: 10000, mrope: [2, 3, 3], tie: true },
        { depth: 2, hidden_size: 32, intermediate_size: 64, num_heads: 2, out_hidden_size: 64, patch_size: 14,
          window_size: 56, fullatt_block_indexes: [1], tokens_per_second: 2, hidden_act: 'silu' });
    case 'qwen3-vl-tiny':
      return qwenConfig('qwen3_vl',
        { hidden: 64, inter: 128, layers: 3, heads: 4, kvHeads: 2, headDim: 16, vocab: VOCAB, ropeTheta: 5000, mrope: [2, 3, 3], tie: true },
        { depth: 2, hidden_size: 32, intermediate_size: 64, num_heads: 2, out_hidden_size: 64, patch_size: 16,
          num_position_embeddings: 16, deepstack_visual_indexes: [0, 1], hidden_act: 'gelu_pytorch_tanh' });
    default:
      throw new Error(`unknown Qwen-VL preset "${String(name)}" (known: ${QWEN_PRESETS.join(', ')})`);
  }
}
