#!/usr/bin/env python3
"""Builds the Qwen-VL parity fixtures (issue 14) on a machine with torch + transformers (5.17 on the GPU machine).

Two small random models, Qwen2_5_VLForConditionalGeneration (sharded) and Qwen3VLForConditionalGeneration, fp32 with
eager attention, saved with save_pretrained; HF-format inputs (input_ids with the video placeholder expanded to the
merged grid, mm_token_type_ids, pixel_values_videos, video_grid_thw, second_per_grid_ts) and HF's fp32 logits. What the
language model receives is recorded too (hooked on its forward): position_ids (M-RoPE, 3 streams), the merged input
embeddings at the video rows (the video features) and Qwen3-VL's DeepStack features, so the language-model side is
checked on its own as well as end to end. The sources of the functions whose semantics the engine follows are copied
to OUT_DIR/sources/ for reading.

usage: python3 qwen_vl_fixture.py OUT_DIR   (writes OUT_DIR/qwen-vl.tar.gz, OUT_DIR/meta.json, OUT_DIR/sources/)
"""
import inspect
import json
import os
import sys
import tarfile
import traceback

import torch
import transformers
from safetensors.torch import save_file

from hf_parity_fixture import randomize  # the same large-enough random weights as the LLaVA parity fixture

VOCAB = 400
TOKENS = dict(image_token_id=393, video_token_id=392, vision_start_token_id=390, vision_end_token_id=391)
# In-vocabulary <|im_end|> / <|endoftext|> (HF's defaults, 151645 / 151643, are outside the small vocabulary).
EOS, BOS = 381, 382
SPECIAL = set(TOKENS.values()) | {381, 382}

FAMILIES = {
    # Qwen2.5-VL: window attention (window 16 px = 2 merged units) with full attention in block 1, 2 s per group at
    # 2 tokens/s scaled by 0.75 (fractional: checks the truncation), sharded save.
    "qwen2_5_vl": dict(
        cls="Qwen2_5_VLForConditionalGeneration", config="Qwen2_5_VLConfig",
        text=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=4096, rms_norm_eps=1e-6,
                  hidden_act="silu", rope_theta=10000.0, tie_word_embeddings=False),
        mrope_section=[2, 3, 3],
        vision=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, in_channels=3, patch_size=4,
                    temporal_patch_size=2, spatial_merge_size=2, window_size=16, fullatt_block_indexes=[1],
                    out_hidden_size=64, tokens_per_second=2, hidden_act="silu"),
        grid=[3, 8, 12], second_per_grid=0.75, shard="150KB", seed=11,
    ),
    # Qwen3-VL: q/k norms, no q/k/v bias, interleaved M-RoPE, DeepStack from both vision blocks into LM layers 0 and 1
    # (of 3), one block per frame group with timestamp text between them, tied embeddings.
    "qwen3_vl": dict(
        cls="Qwen3VLForConditionalGeneration", config="Qwen3VLConfig",
        text=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=16, vocab_size=VOCAB, max_position_embeddings=4096,
                  rms_norm_eps=1e-6, hidden_act="silu", rope_theta=5000.0, attention_bias=False,
                  tie_word_embeddings=True),
        mrope_section=[2, 3, 3],
        vision=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, in_channels=3, patch_size=4,
                    temporal_patch_size=2, spatial_merge_size=2, out_hidden_size=64, num_position_embeddings=16,
                    deepstack_visual_indexes=[0, 1], hidden_act="gelu_pytorch_tanh"),
        grid=[3, 8, 8], second_per_grid=1.0, shard=None, seed=12,
    ),
}


def build_config(name, spec):
    cfg_cls = getattr(transformers, spec["config"])
    text = dict(spec["text"], eos_token_id=EOS, bos_token_id=BOS)
    rope = {"rope_type": "default", "rope_theta": text["rope_theta"], "mrope_section": spec["mrope_section"]}
    if name == "qwen3_vl":
        rope["mrope_interleaved"] = True
    attempts = [dict(text, rope_parameters=rope), dict(text, rope_scaling=dict(rope, type="mrope"))]
    last = None
    for t in attempts:
        try:
            cfg = cfg_cls(text_config=t, vision_config=dict(spec["vision"]), tie_word_embeddings=text["tie_word_embeddings"],
                          **TOKENS)
            break
        except Exception as e:  # the other rope form
            last = e
            print("config attempt failed:", repr(e))
    else:
        raise last
    for k, v in TOKENS.items():
        setattr(cfg, k, v)
    tc = cfg.text_config
    found = getattr(tc, "rope_parameters", None) or getattr(tc, "rope_scaling", None)
    print(name, "text rope:", found)
    assert list((found or {}).get("mrope_section", [])) == spec["mrope_section"], found
    return cfg


def make_inputs(name, spec, cfg, g):
    vc = cfg.vision_config
    t, h, w = spec["grid"]
    m = vc.spatial_merge_size
    per_group = (h // m) * (w // m)

    def text(n):
        out = []
        while len(out) < n:
            i = int(torch.randint(0, VOCAB - 16, (1,), generator=g))
            if i not in SPECIAL:
                out.append(i)
        return out

    vs, ve, vid = TOKENS["vision_start_token_id"], TOKENS["vision_end_token_id"], TOKENS["video_token_id"]
    if name == "qwen2_5_vl":
        ids = text(5) + [vs] + [vid] * (t * per_group) + [ve] + text(6)
    else:  # one block per frame group, "<x.x seconds>" text before each
        ids = text(4)
        for _ in range(t):
            ids += text(3) + [vs] + [vid] * per_group + [ve]
        ids += text(5)
    input_ids = torch.tensor([ids], dtype=torch.long)
    mm = (input_ids == vid).long() * 2
    patch_dim = vc.in_channels * vc.temporal_patch_size * vc.patch_size * vc.patch_size
    pixel_values_videos = torch.randn((t * h * w, patch_dim), generator=g)
    return dict(input_ids=input_ids, mm_token_type_ids=mm, pixel_values_videos=pixel_values_videos,
                video_grid_thw=torch.tensor([[t, h, w]], dtype=torch.long),
                second_per_grid_ts=torch.tensor([spec["second_per_grid"]], dtype=torch.float32))


def dump_sources(model, out_dir, name):
    d = os.path.join(out_dir, "sources")
    os.makedirs(d, exist_ok=True)
    mod = sys.modules[type(model).__module__]
    with open(os.path.join(d, name + "_modeling.py"), "w") as f:
        f.write(inspect.getsource(mod))


def build_one(root, out_dir, name, spec, meta):
    torch.manual_seed(spec["seed"])
    cfg = build_config(name, spec)
    cls = getattr(transformers, spec["cls"])
    model = cls._from_config(cfg, attn_implementation="eager").float().eval()
    randomize(model, spec["seed"])
    try:
        dump_sources(model, out_dir, name)
    except Exception as e:
        print("sources:", repr(e))
    g = torch.Generator().manual_seed(100 + spec["seed"])
    inputs = make_inputs(name, spec, cfg, g)
    lm = model.model.language_model
    seen = {}

    def pre_hook(_mod, args, kwargs):
        seen.update({k: v for k, v in kwargs.items() if isinstance(v, (torch.Tensor, list))})

    hook = lm.register_forward_pre_hook(pre_hook, with_kwargs=True)
    params = inspect.signature(model.forward).parameters
    kw = {k: v for k, v in inputs.items() if k in params or k in ("input_ids", "pixel_values_videos", "video_grid_thw")}
    if "second_per_grid_ts" not in params:
        print("forward has no second_per_grid_ts parameter; passing it as a keyword anyway")
        kw["second_per_grid_ts"] = inputs["second_per_grid_ts"]
    with torch.no_grad():
        out = model(**kw, attention_mask=torch.ones_like(inputs["input_ids"]), use_cache=False)
    hook.remove()
    logits = out.logits.float().contiguous()
    pos = seen["position_ids"]
    if pos.dim() == 3 and pos.shape[0] == 4:  # text positions first in newer versions
        pos = pos[1:]
    vid_rows = inputs["input_ids"][0] == TOKENS["video_token_id"]
    ref = {"logits": logits, "position_ids": pos.reshape(3, -1).long().contiguous(),
           "video_embeds": seen["inputs_embeds"][0][vid_rows].float().contiguous()}
    ds = seen.get("deepstack_visual_embeds")
    if ds is not None:
        ref["deepstack_embeds"] = torch.stack([x.float() for x in ds]).contiguous()
    d = os.path.join(root, name)
    model_dir = os.path.join(d, "model")
    model.save_pretrained(model_dir, **({"max_shard_size": spec["shard"]} if spec["shard"] else {}))
    save_file({k: v.contiguous() for k, v in inputs.items()}, os.path.join(d, "inputs.safetensors"))
    save_file(ref, os.path.join(d, "reference.safetensors"))
    info = {
        "tokens": int(inputs["input_ids"].shape[1]), "video_tokens": int(vid_rows.sum()),
        "forward_args": sorted(kw), "lm_kwargs": sorted(seen),
        "logits_shape": list(logits.shape), "logits_absmax": float(logits.abs().max()),
        "position_max": int(pos.max()), "files": sorted(os.listdir(model_dir)),
        "deepstack": None if ds is None else [list(x.shape) for x in ds],
        "attn_implementation": str(getattr(model.config, "_attn_implementation", None)),
    }
    meta["families"][name] = info
    print(name, json.dumps(info))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")
    root = os.path.join(os.environ.get("TMPDIR", "/tmp"), "qwen-vl-build", "qwen-vl")
    os.makedirs(root, exist_ok=True)
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "families": {}}
    for name, spec in FAMILIES.items():
        try:
            build_one(root, out_dir, name, spec, meta)
        except Exception:
            traceback.print_exc()
            meta["families"][name] = {"error": traceback.format_exc()}
    for path in (os.path.join(root, "meta.json"), os.path.join(out_dir, "meta.json")):
        with open(path, "w") as f:
            json.dump(meta, f, indent=2)
    with tarfile.open(os.path.join(out_dir, "qwen-vl.tar.gz"), "w:gz") as tar:
        tar.add(root, arcname="qwen-vl")
    print("done")


if __name__ == "__main__":
    main()
