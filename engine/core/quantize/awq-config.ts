// What a 4-bit folder declares (config.json's quantization_config, as AutoAWQ and transformers write and read it),
// and the geometry checks that decide whether a model can be packed at a group size.
import type { TextConfig } from '../models/qwen2-config.ts';

/** Modules kept 16-bit, by their transformers names (LlavaOnevisionForConditionalGeneration): transformers 5 skips a
 *  module whose name starts with one of these (4.x and AutoAWQ: contains one); our loader matches them too. */
export const MODULES_TO_NOT_CONVERT = ['model.vision_tower', 'model.multi_modal_projector', 'model.language_model.embed_tokens', 'lm_head'];

export const DEFAULT_GROUP_SIZE = 128;

export function awqQuantizationConfig(groupSize: number) {
  return {
    quant_method: 'awq', bits: 4, group_size: groupSize, zero_point: true, version: 'gemm',
    modules_to_not_convert: MODULES_TO_NOT_CONVERT,
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Throws with the reason when a group size cannot pack this language model's linears. */
export function checkGroupSize(c: TextConfig, groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize <= 0) throw new Error(`group size must be a positive integer, got ${groupSize}`);
  const ins = { 'hidden size (q/k/v/gate/up inputs)': c.hiddenSize, 'attention width (o_proj input)': c.heads * c.headDim, 'intermediate size (down_proj input)': c.intermediateSize };
  const bad = Object.entries(ins).filter(([, n]) => n % groupSize !== 0);
  if (bad.length > 0) {
    const g = Object.values(ins).reduce(gcd);
    let hint = 1;
    for (let p = 1; p <= Math.min(g, DEFAULT_GROUP_SIZE); p *= 2) if (g % p === 0) hint = p;
    throw new Error(`group size ${groupSize} does not divide the language model's ${bad.map(([k, n]) => `${k} ${n}`).join(', ')}; `
      + `use a group size that divides ${Object.values(ins).join(', ')}, e.g. --group-size ${hint}`);
  }
  const outs = { 'q_proj outputs': c.heads * c.headDim, 'k_proj/v_proj outputs': c.kvHeads * c.headDim, 'gate/up outputs': c.intermediateSize, 'hidden size': c.hiddenSize };
  for (const [k, n] of Object.entries(outs)) {
    if (n % 8 !== 0) throw new Error(`the language model's ${k} (${n}) is not a multiple of 8: the AutoAWQ layout packs eight 4-bit outputs per int32`);
  }
}

/** The largest of 128, 64, 32 that checkGroupSize accepts (AutoAWQ's default first); throws the 128 error otherwise. */
export function pickGroupSize(c: TextConfig): number {
  for (const g of [DEFAULT_GROUP_SIZE, 64, 32]) {
    try {
      checkGroupSize(c, g);
      return g;
    } catch {
      // try the next one
    }
  }
  checkGroupSize(c, DEFAULT_GROUP_SIZE);
  return DEFAULT_GROUP_SIZE;
}
