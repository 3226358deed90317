// vision_config of a Qwen2.5-VL tower (HF Qwen2_5_VLVisionConfig) -> a validated config; HF's defaults where a field
// is absent.
import { ConfigError, posInt, type Json } from './config-fields.ts';
import { layerIndexList, parseQwenVisionBase, type QwenVisionBase } from './qwen-vision-config.ts';

export interface Qwen25VisionConfig extends QwenVisionBase {
  /** Window side in patches' pixels (HF window_size); windows are windowSize / mergeSize / patchSize merged units. */
  windowSize: number;
  /** Layers with attention over the whole temporal group; the others attend within windows. */
  fullAttentionLayers: number[];
}

export function parseQwen25VisionConfig(v: Json): Qwen25VisionConfig {
  const w = 'vision_config';
  if (v.model_type !== undefined && v.model_type !== 'qwen2_5_vl_vision' && v.model_type !== 'qwen2_5_vl') {
    throw new ConfigError(`${w}.model_type "${String(v.model_type)}" is not a Qwen2.5-VL vision tower`);
  }
  const act = String(v.hidden_act ?? 'silu');
  if (act !== 'silu') throw new ConfigError(`${w}.hidden_act "${act}" is not supported (the Qwen2.5-VL tower's gated MLP uses silu)`);
  const base = parseQwenVisionBase(v, w, { depth: 32, hiddenSize: 3584, intermediateSize: 3420, patchSize: 14 });
  const windowSize = posInt(v, 'window_size', 112, w);
  if (Math.floor(windowSize / base.mergeSize / base.patchSize) < 1) {
    throw new ConfigError(`${w}.window_size ${windowSize} is smaller than one merged unit (spatial_merge_size ${base.mergeSize} x patch_size ${base.patchSize})`);
  }
  return { ...base, windowSize, fullAttentionLayers: layerIndexList(v, 'fullatt_block_indexes', [7, 15, 23, 31], base.depth, w) };
}

/** Merged units per window side (HF vit_merger_window_size). */
export function windowUnits(c: Qwen25VisionConfig): number {
  return Math.floor(c.windowSize / c.mergeSize / c.patchSize);
}
