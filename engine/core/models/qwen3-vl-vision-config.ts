// vision_config of a Qwen3-VL tower (HF Qwen3VLVisionConfig) -> a validated config; HF's defaults where a field is
// absent.
import { ConfigError, geluKind, posInt, type GeluKind, type Json } from './config-fields.ts';
import { layerIndexList, parseQwenVisionBase, type QwenVisionBase } from './qwen-vision-config.ts';

export interface Qwen3VisionConfig extends QwenVisionBase {
  act: GeluKind;
  /** Side of the learned square position table (sqrt of num_position_embeddings). */
  positionGrid: number;
  /** Layers whose output also goes through its own merger (DeepStack), in this order. */
  deepstackLayers: number[];
}

export function parseQwen3VisionConfig(v: Json): Qwen3VisionConfig {
  const w = 'vision_config';
  if (v.model_type !== undefined && v.model_type !== 'qwen3_vl_vision' && v.model_type !== 'qwen3_vl') {
    throw new ConfigError(`${w}.model_type "${String(v.model_type)}" is not a Qwen3-VL vision tower`);
  }
  const base = parseQwenVisionBase(v, w, { depth: 27, hiddenSize: 1152, intermediateSize: 4304, patchSize: 16 });
  const positions = posInt(v, 'num_position_embeddings', 2304, w);
  const side = Math.round(Math.sqrt(positions));
  if (side * side !== positions) throw new ConfigError(`${w}.num_position_embeddings ${positions} is not a square (the table is a square grid)`);
  return {
    ...base,
    act: geluKind(String(v.hidden_act ?? 'gelu_pytorch_tanh'), `${w}.hidden_act`),
    positionGrid: side,
    deepstackLayers: layerIndexList(v, 'deepstack_visual_indexes', [8, 16, 24], base.depth, w),
  };
}
