// Qwen2.5-VL (HF Qwen2_5_VLForConditionalGeneration): the Qwen2.5-VL vision tower (window attention, 2x2 merger) ->
// merged tokens into the video placeholder rows -> Qwen2 decoder with chunked multimodal RoPE. A video is one visual
// block whose frame groups sit second_per_grid_t x tokens_per_second temporal positions apart.
import type { Qwen25VlConfig } from './qwen-vl-config.ts';
import { qwen25VideoBlockGrid } from './qwen-vl-positions.ts';
import type { QwenVlArchitecture } from './qwen-vl.ts';
import { Qwen25VisionTower } from './qwen2-5-vl-vision.ts';

export const QWEN25_VL: QwenVlArchitecture<Qwen25VlConfig> = {
  loadTower: (be, src, cfg) => Qwen25VisionTower.load(be, src, cfg.vision),
  videoBlockGrids(cfg, grids, secondPerGrid) {
    if (secondPerGrid.length !== grids.length) {
      throw new Error(`second_per_grid_ts has ${secondPerGrid.length} entries for ${grids.length} videos`);
    }
    return grids.map((g, i) => qwen25VideoBlockGrid(g, cfg.vision.mergeSize, secondPerGrid[i], cfg.tokensPerSecond));
  },
};
