#!/usr/bin/env python3
"""Builds the Qwen2.5-VL / Qwen3-VL vision-tower fixture (issue 14 parts 3 and 5) with transformers 5.17 (fp32, eager).

For each case: a small random Qwen2_5_VLForConditionalGeneration / Qwen3VLForConditionalGeneration saved with
save_pretrained (the vision tower is what is checked; the text model is minimal), random pixel_values_videos in HF's
flattened-patch layout [N, C*temporal_patch*p*p] with video_grid_thw, and HF's outputs:
  merged          the tower's pooler_output (the 2x2 merger, in HF's output order)      [N/4, out_hidden_size]
  deepstack_<i>   Qwen3-VL: deepstack_features[i]                                        [N/4, out_hidden_size]
  patch_saliency  per input row (patch), the mean attention it receives on the last full-attention layer: mean over
                  heads and over the query rows of its attention segment (one temporal group of one grid)   [N]
  token_saliency  patch_saliency pooled per merged token (mean of its spatial_merge_size^2 rows)           [N/4]
The attention probabilities are HF's own: the modeling file's eager_attention_forward is wrapped to record the
probabilities it returns for the layer's attention module (one call per cu_seqlens segment).

Weights are re-drawn with unit-scale fan-in init (HF's 0.02 init makes every attention row nearly uniform, which would
let a wrong position or window layout pass).

Needs only torch + transformers 5.17 (fp32 on the CPU is enough; the committed fixture was made so, see meta.json).
usage: python3 qwen_vision_fixture.py OUT_DIR      (writes OUT_DIR/<case>/{model/, inputs.safetensors, reference.safetensors})
"""
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

CASES = {
    # Windows of 2x2 merged units (window_size 16 / merge 2 / patch 4). Grid 10x6 patches = 5x3 merged: windows of
    # 4, 2, 2, 2 and 1 merged units (padding at the bottom and right edges); grid 4x8 = 2x4 merged: two full windows.
    # Full attention in layers 0 and 2, so the saliency layer (2) is not the last layer (3, windowed).
    "qwen25": dict(
        family="qwen2_5_vl",
        vision=dict(depth=4, hidden_size=32, intermediate_size=48, num_heads=2, patch_size=4, spatial_merge_size=2,
                    temporal_patch_size=2, window_size=16, out_hidden_size=24, fullatt_block_indexes=[0, 2],
                    hidden_act="silu", in_channels=3),
        grids=[[3, 10, 6], [2, 4, 8]], seed=11,
    ),
    # Learned 4x4 position table interpolated to 10x6 and 4x8 grids; DeepStack after layers 0 and 2.
    "qwen3": dict(
        family="qwen3_vl",
        vision=dict(depth=4, hidden_size=32, intermediate_size=48, num_heads=2, patch_size=4, spatial_merge_size=2,
                    temporal_patch_size=2, out_hidden_size=24, num_position_embeddings=16,
                    deepstack_visual_indexes=[0, 2], hidden_act="gelu_pytorch_tanh", in_channels=3),
        grids=[[3, 10, 6], [2, 4, 8]], seed=12,
    ),
}

TEXT = dict(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
            num_key_value_heads=1, max_position_embeddings=512)


def build(case):
    v = dict(case["vision"])
    if case["family"] == "qwen2_5_vl":
        from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration as M
        text = dict(TEXT, rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 1, 1]})
        cfg = Qwen2_5_VLConfig(vision_config=v, text_config=text, image_token_id=60, video_token_id=61,
                               vision_start_token_id=62, vision_end_token_id=63)
    else:
        from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration as M
        text = dict(TEXT, head_dim=8, rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                                     "mrope_section": [2, 1, 1], "mrope_interleaved": True})
        cfg = Qwen3VLConfig(vision_config=v, text_config=text, image_token_id=60, video_token_id=61,
                            vision_start_token_id=62, vision_end_token_id=63)
    cfg._attn_implementation = "eager"
    torch.manual_seed(case["seed"])
    model = M(cfg).eval().to(torch.float32)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.normal_(0.0, 1.0 / math.sqrt(fan_in))
            elif "norm" in name or "ln_q" in name:
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.1)
            else:
                p.normal_(0.0, 0.1)
        visual = model.model.visual
        if hasattr(visual, "pos_embed"):
            visual.pos_embed.weight.normal_(0.0, 1.0)
    return model


class AttentionRecorder:
    """Wraps the modeling file's eager_attention_forward; keeps the probabilities of calls from one module."""

    def __init__(self, modeling):
        self.modeling = modeling
        self.inner = modeling.eager_attention_forward
        self.target = None
        self.probs = []

    def __enter__(self):
        def wrapped(module, *args, **kwargs):
            out, weights = self.inner(module, *args, **kwargs)
            if module is self.target:
                self.probs.append(weights.detach().clone())
            return out, weights
        self.modeling.eager_attention_forward = wrapped
        return self

    def __exit__(self, *exc):
        self.modeling.eager_attention_forward = self.inner


def window_index_of(visual, grid_thw):
    """HF's merge-unit permutation of the Qwen2.5-VL tower (identity for Qwen3-VL)."""
    if not hasattr(visual, "fullatt_block_indexes"):
        return None
    from transformers.vision_utils import get_vision_window_index
    idx, _ = get_vision_window_index(grid_thw, spatial_merge_size=visual.spatial_merge_size,
                                     window_size=visual.window_size, patch_size=visual.patch_size)
    return idx


def run_case(name, case, out_dir):
    model = build(case)
    visual = model.model.visual
    vc = model.config.vision_config
    grid = torch.tensor(case["grids"], dtype=torch.long)
    rows = int(grid.prod(-1).sum())
    width = vc.in_channels * vc.temporal_patch_size * vc.patch_size * vc.patch_size
    g = torch.Generator().manual_seed(case["seed"] + 100)
    pixels = torch.randn(rows, width, generator=g, dtype=torch.float32)

    full = list(getattr(vc, "fullatt_block_indexes", range(vc.depth)))
    sal_layer = max(full)
    modeling = sys.modules[type(visual).__module__]
    with AttentionRecorder(modeling) as rec, torch.no_grad():
        rec.target = visual.blocks[sal_layer].attn
        out = visual(pixels, grid_thw=grid)
    # One probability tensor per attention segment (temporal group), in the order the tower holds its rows.
    segs = [p[0] for p in rec.probs]
    expect = [int(h * w) for t, h, w in case["grids"] for _ in range(t)]
    assert [s.shape[-1] for s in segs] == expect, f"{name}: recorded segments {[s.shape for s in segs]} vs {expect}"
    col = torch.cat([s.mean(dim=(0, 1)) for s in segs])  # mean over heads and query rows, tower order
    unit = vc.spatial_merge_size ** 2
    widx = window_index_of(visual, grid)
    if widx is not None:  # tower order -> input order (the permutation is by merge units)
        inp = torch.empty_like(col).view(-1, unit)
        inp[widx] = col.view(-1, unit)
        col = inp.view(-1)
    token_sal = col.view(-1, unit).mean(-1)

    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(os.path.join(d, "model"), safe_serialization=True)
    save_file({"pixel_values_videos": pixels.contiguous(), "video_grid_thw": grid.to(torch.int64).contiguous()},
              os.path.join(d, "inputs.safetensors"))
    ref = {"merged": out.pooler_output.contiguous(), "patch_saliency": col.contiguous(),
           "token_saliency": token_sal.contiguous()}
    for i, f in enumerate(getattr(out, "deepstack_features", None) or []):
        ref[f"deepstack_{i}"] = f.contiguous()
    save_file({k: v.to(torch.float32) for k, v in ref.items()}, os.path.join(d, "reference.safetensors"))
    return {"rows": rows, "saliency_layer": sal_layer, "segments": len(segs),
            "shapes": {k: list(v.shape) for k, v in ref.items()}}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "qwen-vision"
    os.makedirs(out_dir, exist_ok=True)
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "cases": {}}
    for name, case in CASES.items():
        meta["cases"][name] = run_case(name, case, out_dir)
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
