// text_config of a Qwen2 decoder (HF Qwen2Config) -> a validated TextConfig; HF's defaults where a field is absent.
// The Qwen-VL text models are read here too: Qwen2.5-VL's (Qwen2 with multimodal RoPE) and Qwen3-VL's (Qwen3: per-head
// q/k norms, no q/k/v bias, interleaved multimodal RoPE).
import { ConfigError, num, posInt, type Json } from './config-fields.ts';
import type { Mrope, MropeLayout } from './mrope.ts';

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
  /** q/k/v projections carry biases (Qwen2; Qwen3's attention_bias, false by default). */
  attentionBias: boolean;
  /** Per-head RMSNorm of q and k before RoPE (Qwen3's q_norm / k_norm). */
  qkNorm: boolean;
  /** Multimodal RoPE (Qwen-VL); null: one position stream. */
  mrope: Mrope | null;
}

/** Which decoder a text_config describes. */
export interface TextFamily {
  /** Accepted text_config.model_type values (absent is accepted too). */
  modelTypes: readonly string[];
  /** Qwen3 layer form: q/k norms, attention_bias default false. */
  qwen3: boolean;
  /** Multimodal RoPE layout; null for one position stream. */
  mrope: MropeLayout | null;
}

export const QWEN2_TEXT: TextFamily = { modelTypes: ['qwen2'], qwen3: false, mrope: null };

/** RoPE parameters (rope_parameters, or the older rope_scaling + rope_theta): theta, and the multimodal section when
 *  the family has one. Only the default rope type (named "mrope" in older Qwen2.5-VL configs) is supported. */
function ropeParams(t: Json, w: string, mrope: MropeLayout | null): { theta: number; section: [number, number, number] | null } {
  const rp = t.rope_parameters as Json | undefined;
  const rs = t.rope_scaling as Json | null | undefined;
  const [where, o] = rp && typeof rp === 'object' ? [`${w}.rope_parameters`, rp] : rs && typeof rs === 'object' ? [`${w}.rope_scaling`, rs] : [w, null];
  if (o) {
    const type = (o.rope_type ?? o.type ?? 'default') as string;
    if (type !== 'default' && !(mrope && type === 'mrope')) throw new ConfigError(`${where} type "${type}" is not supported (only default)`);
  }
  const theta = o && where.endsWith('rope_parameters') ? num(o, 'rope_theta', num(t, 'rope_theta', 10000, w), where) : num(t, 'rope_theta', 10000, w);
  if (!mrope) return { theta, section: null };
  const sec = o?.mrope_section;
  if (!Array.isArray(sec) || sec.length !== 3 || !sec.every((x) => Number.isInteger(x) && x > 0)) {
    throw new ConfigError(`${where}.mrope_section must be three positive integers, got ${JSON.stringify(sec)}`);
  }
  return { theta, section: [sec[0], sec[1], sec[2]] };
}

/** `topTie`: the enclosing config's tie_word_embeddings, used when text_config has none. */
export function parseQwen2Config(t: Json, topTie: unknown, family: TextFamily = QWEN2_TEXT): TextConfig {
  const w = 'text_config';
  if (t.model_type !== undefined && !family.modelTypes.includes(String(t.model_type))) {
    throw new ConfigError(`${w}.model_type "${String(t.model_type)}" is not supported (expected ${family.modelTypes.join(' or ')})`);
  }
  const hiddenSize = posInt(t, 'hidden_size', 4096, w);
  const heads = posInt(t, 'num_attention_heads', 32, w);
  const kvHeads = posInt(t, 'num_key_value_heads', heads, w);
  if (heads % kvHeads !== 0) throw new ConfigError(`${w}.num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = t.head_dim == null ? hiddenSize / heads : posInt(t, 'head_dim', undefined, w);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ConfigError(`${w}: head dim ${headDim} must be an even integer`);
  if (String(t.hidden_act ?? 'silu') !== 'silu') throw new ConfigError(`${w}.hidden_act "${String(t.hidden_act)}" is not supported (only silu)`);
  const tie = t.tie_word_embeddings ?? topTie ?? false;
  const rope = ropeParams(t, w, family.mrope);
  if (rope.section && rope.section[0] + rope.section[1] + rope.section[2] !== headDim / 2) {
    throw new ConfigError(`${w}: mrope_section [${rope.section.join(', ')}] must add up to head_dim / 2 = ${headDim / 2}`);
  }
  const bias = t.attention_bias ?? !family.qwen3;
  if (typeof bias !== 'boolean') throw new ConfigError(`${w}.attention_bias must be true or false, got ${JSON.stringify(bias)}`);
  return {
    hiddenSize,
    intermediateSize: posInt(t, 'intermediate_size', 22016, w),
    layers: posInt(t, 'num_hidden_layers', 32, w),
    heads,
    kvHeads,
    headDim,
    vocabSize: posInt(t, 'vocab_size', 151936, w),
    rmsNormEps: num(t, 'rms_norm_eps', 1e-6, w),
    ropeTheta: rope.theta,
    maxPositions: posInt(t, 'max_position_embeddings', 32768, w),
    tieWordEmbeddings: Boolean(tie),
    attentionBias: bias,
    qkNorm: family.qwen3,
    mrope: rope.section && family.mrope ? { section: rope.section, layout: family.mrope } : null,
  };
}
