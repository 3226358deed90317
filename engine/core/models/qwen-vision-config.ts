// The vision_config fields Qwen2.5-VL and Qwen3-VL towers share (HF Qwen2_5_VLVisionConfig / Qwen3VLVisionConfig):
// Conv3d patches of temporal_patch_size x patch_size², a 2-D rotary over (h, w) and a spatial_merge_size² merger.
import { ConfigError, num, posInt, type Json } from './config-fields.ts';

/** Canonical prefix of both towers' tensors (checkpoint/weights.ts maps model.visual.* to it). */
export const QWEN_VISION_PREFIX = 'visual.';

export interface QwenVisionBase {
  depth: number;
  hiddenSize: number;
  intermediateSize: number;
  heads: number;
  headDim: number;
  channels: number;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
  outHiddenSize: number;
  /** rope_parameters.rope_theta of the 2-D (axial) vision rotary. */
  ropeTheta: number;
}

/** Integer list field whose entries are layer indices in [0, depth). */
export function layerIndexList(v: Json, key: string, def: readonly number[], depth: number, where: string): number[] {
  const raw = v[key] ?? def;
  if (!Array.isArray(raw)) throw new ConfigError(`${where}.${key} must be a list of layer indices, got ${JSON.stringify(raw)}`);
  for (const i of raw) {
    if (!Number.isInteger(i) || i < 0 || i >= depth) {
      throw new ConfigError(`${where}.${key} has ${JSON.stringify(i)}: layer indices must be integers in [0, ${depth})`);
    }
  }
  return [...raw] as number[];
}

export function parseQwenVisionBase(v: Json, where: string, defaults: { depth: number; hiddenSize: number;
  intermediateSize: number; patchSize: number }): QwenVisionBase {
  const hiddenSize = posInt(v, 'hidden_size', defaults.hiddenSize, where);
  const heads = posInt(v, v.num_heads === undefined ? 'num_attention_heads' : 'num_heads', 16, where);
  if (hiddenSize % heads !== 0) throw new ConfigError(`${where}.hidden_size ${hiddenSize} is not divisible by num_heads ${heads}`);
  const headDim = hiddenSize / heads;
  // The rotary splits each head into h and w halves of rotate-half pairs.
  if (headDim % 4 !== 0) throw new ConfigError(`${where}: head dim ${headDim} (hidden_size / num_heads) must be a multiple of 4 for the 2-D rotary`);
  const rp = v.rope_parameters;
  let ropeTheta = 10000;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== 'object' || Array.isArray(rp)) throw new ConfigError(`${where}.rope_parameters must be an object`);
    const type = (rp as Json).rope_type ?? 'axial';
    if (type !== 'axial' && type !== 'default') throw new ConfigError(`${where}.rope_parameters.rope_type "${String(type)}" is not supported (only axial)`);
    ropeTheta = num(rp as Json, 'rope_theta', 10000, `${where}.rope_parameters`);
  }
  return {
    depth: posInt(v, 'depth', defaults.depth, where),
    hiddenSize,
    intermediateSize: posInt(v, 'intermediate_size', defaults.intermediateSize, where),
    heads,
    headDim,
    // Hub Qwen2.5-VL configs spell it in_chans.
    channels: posInt(v, v.in_channels === undefined ? 'in_chans' : 'in_channels', 3, where),
    patchSize: posInt(v, 'patch_size', defaults.patchSize, where),
    temporalPatchSize: posInt(v, 'temporal_patch_size', 2, where),
    mergeSize: posInt(v, 'spatial_merge_size', 2, where),
    outHiddenSize: posInt(v, 'out_hidden_size', 3584, where),
    ropeTheta,
  };
}
