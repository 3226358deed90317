// Qwen3-VL (HF Qwen3VLForConditionalGeneration): the Qwen3-VL vision tower (learned positions, DeepStack mergers) ->
// merged tokens into the video placeholder rows -> Qwen3 decoder (q/k norms, interleaved multimodal RoPE) with the
// DeepStack features added at the visual rows after its first layers. Each frame group of a video is a visual block
// of its own, after its timestamp text ("<t seconds>").
import type { Qwen3VlConfig } from './qwen-vl-config.ts';
import { qwen3VideoBlockGrids } from './qwen-vl-positions.ts';
import type { QwenVlArchitecture } from './qwen-vl.ts';
import { Qwen3VisionTower } from './qwen3-vl-vision.ts';

export const QWEN3_VL: QwenVlArchitecture<Qwen3VlConfig> = {
  loadTower: (be, src, cfg) => Qwen3VisionTower.load(be, src, cfg.vision),
  videoBlockGrids: (cfg, grids) => grids.flatMap((g) => qwen3VideoBlockGrids(g, cfg.vision.mergeSize)),
};
