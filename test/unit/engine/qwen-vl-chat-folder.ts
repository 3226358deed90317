// The HF-saved Qwen-VL fixture models (test/fixtures/qwen-vl) made chattable: a small byte-level tokenizer with the
// fixture's special ids, a Qwen-style chat template, and a video processor sized for the tiny towers (4 px patches), so
// the chat loop and the app can run them end to end.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildByteBpeTokenizer } from '../../../engine/core/tokenizer/byte-bpe.ts';

export const QWEN_VL_FIXTURE = join(import.meta.dirname, '../../fixtures/qwen-vl');
export type QwenVlFixtureFamily = 'qwen2_5_vl' | 'qwen3_vl';

// The fixture's special ids: vision_start 390, vision_end 391, video 392; <|im_end|> 381 is its eos.
const SPECIAL = { '<|im_start|>': 380, '<|im_end|>': 381, '<|endoftext|>': 382, '<video>': 383, '<image>': 384 };
const VISION = { '<|vision_start|>': 390, '<|vision_end|>': 391, '<|video_pad|>': 392 };
const TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}{{ m['content'] }}"
  + "{% else %}{% for c in m['content'] %}{% if c['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
  + "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
  + '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';

/**
 * Video processor files as the hub repos publish them (Qwen2.5-VL: preprocessor_config.json with min/max_pixels per
 * frame; Qwen3-VL: video_preprocessor_config.json with size for the whole video), for 4 px patches and small budgets.
 */
const PROCESSORS: Record<QwenVlFixtureFamily, [string, object]> = {
  qwen2_5_vl: ['preprocessor_config.json', {
    min_pixels: 256, max_pixels: 8 * 8 * 16, patch_size: 4, temporal_patch_size: 2, merge_size: 2,
    image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711], processor_class: 'Qwen2_5_VLProcessor',
  }],
  qwen3_vl: ['video_preprocessor_config.json', {
    size: { shortest_edge: 256, longest_edge: 8 * 8 * 10 * 8 }, patch_size: 4, temporal_patch_size: 2, merge_size: 2,
    image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], video_processor_type: 'Qwen3VLVideoProcessor',
  }],
};

/** Copies the family's fixture model to `dir` with a tokenizer, chat template and video processor; returns `dir`. */
export function qwenVlChatFolder(family: QwenVlFixtureFamily, dir: string): string {
  cpSync(join(QWEN_VL_FIXTURE, family, 'model'), dir, { recursive: true });
  const tok = buildByteBpeTokenizer(SPECIAL).json as { added_tokens: object[] };
  for (const [content, id] of Object.entries(VISION)) {
    tok.added_tokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: TEMPLATE, eos_token: '<|im_end|>' }));
  const [file, processor] = PROCESSORS[family];
  writeFileSync(join(dir, file), JSON.stringify(processor));
  return dir;
}
