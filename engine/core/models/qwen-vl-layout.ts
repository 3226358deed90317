// A Qwen2.5-VL / Qwen3-VL checkpoint's tensors as one list (tower, then decoder + lm_head), for synthetic weights and
// the decode byte count of benchmarks.
import type { QwenVlConfig } from './qwen-vl-config.ts';
import { qwen25VisionTensors } from './qwen2-5-vl-vision.ts';
import { qwen3VisionTensors } from './qwen3-vl-vision.ts';
import { qwen2Tensors } from './qwen2.ts';
import { specList, type TensorSpec } from './tensor-spec.ts';

export function qwenVlTensorLayout(cfg: QwenVlConfig): TensorSpec[] {
  const vision = cfg.family === 'qwen3_vl' ? qwen3VisionTensors(cfg.vision) : qwen25VisionTensors(cfg.vision);
  return specList({ vision, text: qwen2Tensors(cfg.text) });
}
