#!/usr/bin/env python3
"""HF transformers' Qwen2.5-VL-7B vision tower (random bf16 weights, CUDA) at the geometry of
scripts/gpu/qwen_vision_check.ts --bench: 64 and 256 frames of 252x448 (grid t x 18 x 32), ms per forward, best of 3
after one warm-up, with flash_attention_2 where the flash_attn package is installed, else sdpa.

usage: python3 qwen_vision_hf_bench.py [OUT.json]
"""
import importlib.util
import json
import os
import sys
import time

import torch
import transformers
from transformers import Qwen2_5_VLConfig
from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VisionTransformerPretrainedModel

VISION = dict(depth=32, hidden_size=1280, hidden_act="silu", intermediate_size=3420, num_heads=16, in_channels=3,
              out_hidden_size=3584, patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
              fullatt_block_indexes=[7, 15, 23, 31])
DEVICE = os.environ.get("QV_DEVICE", "cuda")  # cpu: a dry run of this script
FRAMES = [int(f) for f in os.environ.get("QV_FRAMES", "64,256").split(",")]


def tower():
    cfg = Qwen2_5_VLConfig(vision_config=VISION).vision_config
    impl = "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"
    cfg._attn_implementation = impl
    with torch.device(DEVICE):
        return Qwen2_5_VisionTransformerPretrainedModel(cfg).to(torch.bfloat16).eval(), impl


def sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def main():
    model, impl = tower()
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "attn": impl, "timings": []}
    for frames in FRAMES:
        grid = torch.tensor([[frames // 2, 18, 32]], device=DEVICE)
        rows = frames // 2 * 18 * 32
        x = torch.randn(rows, 3 * 2 * 14 * 14, device=DEVICE, dtype=torch.bfloat16)
        with torch.no_grad():
            model(x, grid_thw=grid)
            sync()
            ms = []
            for _ in range(3):
                t0 = time.perf_counter()
                model(x, grid_thw=grid)
                sync()
                ms.append((time.perf_counter() - t0) * 1e3)
        out["timings"].append({"frames": frames, "rows": rows, "ms": min(ms), "runs": ms})
        print(f"HF {impl} qwen2.5-vl-7b vision, {frames} frames ({rows} patches): {min(ms):.1f} ms (runs {', '.join(f'{m:.1f}' for m in ms)})")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
