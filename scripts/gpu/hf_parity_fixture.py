#!/usr/bin/env python3
"""Builds the HF-parity fixture for `sparsevila logits` (issue #3), on a machine with torch + transformers.

Two small random LlavaOnevisionForConditionalGeneration models (fp32, eager attention), each saved with
save_pretrained (config b sharded with a small max_shard_size), fixed inputs (input_ids with the video token expanded
as HF's processor does: frames * ceil(grid/2)^2 + 1 tokens, pixel_values_videos) and HF's logits for them.
Also records a few diagnostics (does hidden_states[-1] of the SigLIP tower include post_layernorm?).

usage: python3 hf_parity_fixture.py OUT_DIR      (writes OUT_DIR/hf-parity.tar.gz and OUT_DIR/hf-parity/...)
"""
import json
import math
import os
import sys
import tarfile

import torch
import transformers
from safetensors.torch import save_file
from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration

CONFIGS = {
    # grid 5 -> pooled 3 (odd grid, non-trivial bilinear weights), untied lm_head, rope_theta form, last layer.
    "a-single": dict(
        vision=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=3, num_attention_heads=2,
                    image_size=35, patch_size=7),
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=300, rope_theta=10000.0, tie=False),
        image_token_id=297, video_token_id=298, vision_feature_layer=-1, frames=3, shard=None, seed=1,
    ),
    # grid 8 -> pooled 4, GQA 4:1, tied embeddings, rope_parameters form, vision_feature_layer -2 (layers skipped),
    # saved in several shards.
    "b-sharded": dict(
        vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=3, num_attention_heads=3,
                    image_size=64, patch_size=8),
        text=dict(hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4,
                  num_key_value_heads=1, vocab_size=320, rope_theta=1000000.0, tie=True),
        image_token_id=318, video_token_id=319, vision_feature_layer=-2, frames=2, shard="200KB", seed=2,
        rope_parameters=True,
    ),
}


def build_config(spec):
    from transformers import Qwen2Config, SiglipVisionConfig
    v, t = spec["vision"], spec["text"]
    vision = SiglipVisionConfig(num_channels=3, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6,
                                attention_dropout=0.0, vision_use_head=False, **v)
    text_kw = dict(hidden_size=t["hidden_size"], intermediate_size=t["intermediate_size"],
                   num_hidden_layers=t["num_hidden_layers"], num_attention_heads=t["num_attention_heads"],
                   num_key_value_heads=t["num_key_value_heads"], vocab_size=t["vocab_size"],
                   max_position_embeddings=4096, rms_norm_eps=1e-6, hidden_act="silu",
                   tie_word_embeddings=t["tie"], rope_theta=t["rope_theta"])
    if spec.get("rope_parameters"):
        text_kw["rope_parameters"] = {"rope_type": "default", "rope_theta": t["rope_theta"]}
    text = Qwen2Config(**text_kw)
    cfg = LlavaOnevisionConfig(
        vision_config=vision, text_config=text, projector_hidden_act="gelu",
        vision_feature_select_strategy="full", vision_feature_layer=spec["vision_feature_layer"],
        tie_word_embeddings=t["tie"],
    )
    # The token-id attribute names moved between versions (image_token_index -> image_token_id): set all.
    for name, val in (("image_token_id", spec["image_token_id"]), ("video_token_id", spec["video_token_id"]),
                      ("image_token_index", spec["image_token_id"]), ("video_token_index", spec["video_token_id"])):
        try:
            setattr(cfg, name, val)
        except Exception as e:
            print("config: cannot set %s (%s)" % (name, e))
    assert getattr(cfg, "video_token_id", getattr(cfg, "video_token_index", None)) == spec["video_token_id"]
    return cfg


def build_model(cfg):
    torch.set_default_dtype(torch.float32)
    try:
        model = LlavaOnevisionForConditionalGeneration._from_config(cfg, attn_implementation="eager")
    except Exception as e:  # older/newer signatures: fall back to the constructor with the config flag set
        print("_from_config failed, using the constructor:", repr(e))
        cfg._attn_implementation = "eager"
        model = LlavaOnevisionForConditionalGeneration(cfg)
    return model.float().eval()


@torch.no_grad()
def randomize(model, seed):
    """Weights large enough that logits are far from flat (HF's init would give near-zero logits)."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            fan_in = p[0].numel()
            p.copy_(torch.randn(p.shape, generator=g) * (1.0 / math.sqrt(fan_in)))
        elif "norm" in name and name.endswith("weight"):
            p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
        else:
            p.copy_(0.1 * torch.randn(p.shape, generator=g))
    if model.config.text_config.tie_word_embeddings or getattr(model.config, "tie_word_embeddings", False):
        try:
            model.tie_weights()
        except Exception as e:
            print("tie_weights failed:", repr(e))


def make_inputs(spec, cfg, seed):
    g = torch.Generator().manual_seed(100 + seed)
    grid = cfg.vision_config.image_size // cfg.vision_config.patch_size
    pooled = math.ceil(grid / 2)
    n_video = spec["frames"] * pooled * pooled + 1  # what LlavaOnevisionProcessor expands <video> to
    special = {spec["image_token_id"], spec["video_token_id"]}
    def text(n):
        ids = torch.randint(0, cfg.text_config.vocab_size - 8, (n,), generator=g)
        return [int(i) for i in ids if int(i) not in special]
    ids = text(7) + [spec["video_token_id"]] * n_video + text(9)
    input_ids = torch.tensor([ids], dtype=torch.long)
    S = cfg.vision_config.image_size
    pixel_values_videos = torch.randn((1, spec["frames"], 3, S, S), generator=g)
    return input_ids, pixel_values_videos, n_video


@torch.no_grad()
def diagnostics(model, pixel_values_videos):
    vt = model.model.vision_tower
    inner = getattr(vt, "vision_model", vt)  # transformers 5.17 flattened SiglipVisionModel
    px = pixel_values_videos.flatten(0, 1)
    captured = {}
    layers = inner.encoder.layers
    hook = layers[-1].register_forward_hook(lambda m, i, o: captured.__setitem__("raw", o[0] if isinstance(o, tuple) else o))
    out = vt(px, output_hidden_states=True, return_dict=True)
    hook.remove()
    raw = captured["raw"]
    last = out.hidden_states[-1]
    post = inner.post_layernorm(raw)
    return {
        "n_hidden_states": len(out.hidden_states),
        "hs_last_minus_raw": float((last - raw).abs().max()),
        "hs_last_minus_post_layernorm": float((last - post).abs().max()),
        "attn_implementation": str(getattr(model.config, "_attn_implementation", None)),
        "vision_attn_implementation": str(getattr(vt.config, "_attn_implementation", None)),
    }


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")
    # The tree is built outside OUT_DIR so only the tarball (and meta.json) come back from the device.
    root = os.path.join(os.environ.get("TMPDIR", "/tmp"), "hf-parity-build", "hf-parity")
    os.makedirs(root, exist_ok=True)
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "configs": {}}
    for name, spec in CONFIGS.items():
        try:
            build_one(root, name, spec, meta)
        except Exception:
            import traceback
            traceback.print_exc()
            meta["configs"][name] = {"error": traceback.format_exc()}
    with open(os.path.join(root, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    with tarfile.open(os.path.join(out_dir, "hf-parity.tar.gz"), "w:gz") as tar:
        tar.add(root, arcname="hf-parity")
    print("done", json.dumps(meta["configs"], indent=None)[:3000])


def build_one(root, name, spec, meta):
    torch.manual_seed(spec["seed"])
    cfg = build_config(spec)
    model = build_model(cfg)
    randomize(model, spec["seed"])
    input_ids, pixel_values_videos, n_video = make_inputs(spec, cfg, spec["seed"])
    with torch.no_grad():
        out = model(input_ids=input_ids, pixel_values_videos=pixel_values_videos,
                    attention_mask=torch.ones_like(input_ids), use_cache=False)
        logits = out.logits.float().contiguous()
        try:
            vf = model.model.get_video_features(pixel_values_videos,
                                                vision_feature_layer=cfg.vision_feature_layer,
                                                vision_feature_select_strategy="full")
            vf = vf.pooler_output if hasattr(vf, "pooler_output") else vf
            video_features = vf.reshape(-1, vf.shape[-1]).float().contiguous()
        except Exception as e:  # diagnostics only
            video_features = None
            print("get_video_features failed:", repr(e))
    d = os.path.join(root, name)
    model_dir = os.path.join(d, "model")
    kw = {"max_shard_size": spec["shard"]} if spec["shard"] else {}
    model.save_pretrained(model_dir, **kw)
    tensors = {"input_ids": input_ids.contiguous(), "pixel_values_videos": pixel_values_videos.contiguous()}
    save_file(tensors, os.path.join(d, "inputs.safetensors"))
    ref = {"logits": logits}
    if video_features is not None:
        ref["video_features"] = video_features
    save_file(ref, os.path.join(d, "reference.safetensors"))
    info = {
        "tokens": int(input_ids.shape[1]), "video_tokens": n_video, "frames": spec["frames"],
        "logits_shape": list(logits.shape), "logits_absmax": float(logits.abs().max()),
        "files": sorted(os.listdir(model_dir)), "diagnostics": diagnostics(model, pixel_values_videos),
    }
    meta["configs"][name] = info
    print(name, json.dumps(info))


if __name__ == "__main__":
    main()
