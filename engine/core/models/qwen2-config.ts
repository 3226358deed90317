// text_config of a Qwen2 decoder (HF Qwen2Config) -> a validated TextConfig; HF's defaults where a field is absent.
import { ConfigError, num, posInt, type Json } from './config-fields.ts';

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

/** `topTie`: the enclosing config's tie_word_embeddings, used when text_config has none. */
export function parseQwen2Config(t: Json, topTie: unknown): TextConfig {
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
