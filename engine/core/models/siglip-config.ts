// vision_config of a SigLIP vision tower (HF SiglipVisionConfig) -> a validated VisionConfig; HF's defaults where a
// field is absent.
import { ConfigError, geluKind, num, posInt, type GeluKind, type Json } from './config-fields.ts';

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

export function parseSiglipVisionConfig(v: Json): VisionConfig {
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
