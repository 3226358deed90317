#!/usr/bin/env python3
"""Builds the 4-bit AWQ fixture for `sparsevila logits` (issue 13 part 1), on a machine with torch + transformers.

A small random LlavaOnevisionForConditionalGeneration (fp32, eager attention; hf_parity_fixture.py's builders) whose
language-model decoder linears are quantized here to 4 bits (round to nearest, asymmetric, groups of GROUP inputs,
fp16 scales) and written in the AutoAWQ "gemm" layout, packed from the layout's definition (below, numpy; not from the
engine's TypeScript):
    qweight int32 [in, out/8], qzeros int32 [in/group, out/8], scales fp16 [in/group, out];
    nibble k (bits 4k..4k+3) of int32 column c holds output channel 8c + ORDER[k], ORDER = 0,2,4,6,1,3,5,7;
    W[o][i] = (q - zero) * scale of group i // GROUP.
One decoder linear is listed in quantization_config.modules_to_not_convert and stays in 16 bits (fp32 here). HF then
runs fp32 eager with the dequantized weights put into the model: reference.safetensors holds those logits, and the
logits of the same model before quantization (`logits_unquantized`, to show the 4-bit weights matter).

usage: python3 awq_hf_fixture.py OUT_DIR      (writes OUT_DIR/awq.tar.gz and OUT_DIR/meta.json)
"""
import json
import os
import sys
import tarfile

import numpy as np
import torch
import transformers
from safetensors.numpy import load_file, save_file as save_np
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_parity_fixture import build_config, build_model, make_inputs, randomize  # noqa: E402

GROUP = 32
ORDER = [0, 2, 4, 6, 1, 3, 5, 7]
KEEP = "model.language_model.layers.1.mlp.down_proj"  # stays 16-bit: listed in modules_to_not_convert
SPEC = dict(
    vision=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                image_size=35, patch_size=7),
    text=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=300, rope_theta=10000.0, tie=False),
    image_token_id=297, video_token_id=298, vision_feature_layer=-1, frames=2, shard=None, seed=13,
)


def quantize(w):
    """RTN 4-bit, asymmetric, per (group of GROUP inputs, output): codes [out, in], zeros and fp16 scales [in/G, out]."""
    out, inp = w.shape
    g = w.reshape(out, inp // GROUP, GROUP)
    lo, hi = g.min(axis=2), g.max(axis=2)
    scale = np.maximum(hi - lo, 1e-8) / 15.0
    scale16 = scale.astype(np.float16)
    s = scale16.astype(np.float32)
    zero = np.clip(np.round(-lo / s), 0, 15)
    codes = np.clip(np.round(g / s[:, :, None]) + zero[:, :, None], 0, 15).astype(np.uint32)
    return codes.reshape(out, inp), zero.astype(np.uint32).T.copy(), scale16.T.copy()  # zeros/scales [in/G, out]


def pack_columns(v):
    """[rows, cols] of 4-bit values -> int32 [rows, cols/8] in the AutoAWQ order."""
    rows, cols = v.shape
    words = np.zeros((rows, cols // 8), dtype=np.uint32)
    for k in range(8):
        words |= (v[:, ORDER[k]::8] & 15) << np.uint32(4 * k)
    return words.view(np.int32)


def unpack_columns(words, cols):
    """The inverse of pack_columns, written from the definition again: channel 8c + ORDER[k] is nibble k."""
    u = words.view(np.uint32)
    v = np.zeros((u.shape[0], cols), dtype=np.uint32)
    for k in range(8):
        v[:, ORDER[k]::8] = (u >> np.uint32(4 * k)) & 15
    return v


def dequantize(qweight, qzeros, scales, out, inp):
    q = unpack_columns(qweight, out).astype(np.float32)             # [in, out]
    z = unpack_columns(qzeros, out).astype(np.float32)              # [in/G, out]
    s = scales.astype(np.float32)                                   # [in/G, out]
    grp = np.arange(inp) // GROUP
    return ((q - z[grp]) * s[grp]).T.copy()                         # [out, in]


def decoder_linears(model):
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and ".language_model.layers." in f".{name}" and name.startswith("model."):
            yield name, mod


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")
    root = os.path.join(os.environ.get("TMPDIR", "/tmp"), "awq-build", "awq")
    model_dir = os.path.join(root, "model")
    os.makedirs(model_dir, exist_ok=True)
    torch.manual_seed(SPEC["seed"])
    cfg = build_config(SPEC)
    model = build_model(cfg)
    randomize(model, SPEC["seed"])
    input_ids, pixel_values_videos, n_video = make_inputs(SPEC, cfg, SPEC["seed"])
    run = lambda: model(input_ids=input_ids, pixel_values_videos=pixel_values_videos,  # noqa: E731
                        attention_mask=torch.ones_like(input_ids), use_cache=False).logits.float().contiguous()
    with torch.no_grad():
        unquantized = run()
        packed = {}
        for name, mod in decoder_linears(model):
            if name == KEEP:
                continue
            w = mod.weight.detach().numpy().astype(np.float32)
            codes, zeros, scales16 = quantize(w)
            qweight, qzeros = pack_columns(np.ascontiguousarray(codes.T)), pack_columns(zeros)
            wq = dequantize(qweight, qzeros, scales16, *w.shape)
            # The packing round-trips and the dequantized weight is (code - zero) * scale of the codes quantized.
            grp = np.arange(w.shape[1]) // GROUP
            direct = (codes.astype(np.float32) - zeros.T[:, grp]) * scales16.T.astype(np.float32)[:, grp]
            assert np.array_equal(wq, direct), name
            assert np.abs(wq - w).max() <= scales16.astype(np.float32).max() * 0.51 + 1e-6, name
            mod.weight.copy_(torch.from_numpy(wq))
            packed[name] = (qweight, qzeros, scales16)
        logits = run()
    assert KEEP in dict(decoder_linears(model)), "the kept module must be a decoder linear"
    model.save_pretrained(model_dir)
    # Replace each quantized linear's saved weight by its AutoAWQ tensors, under the name the file uses.
    st_path = os.path.join(model_dir, "model.safetensors")
    tensors = load_file(st_path)
    for name, (qweight, qzeros, scales16) in packed.items():
        tail = name.split("language_model.", 1)[1] + ".weight"
        key = [k for k in tensors if k.endswith(tail) and "language_model" in k]
        assert len(key) == 1, (name, key)
        stem = key[0][: -len(".weight")]
        del tensors[key[0]]
        tensors[stem + ".qweight"], tensors[stem + ".qzeros"], tensors[stem + ".scales"] = qweight, qzeros, scales16
    save_np(tensors, st_path, metadata={"format": "pt"})
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    config["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": GROUP, "zero_point": True,
                                     "version": "gemm", "modules_to_not_convert": [KEEP]}
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_file({"input_ids": input_ids.contiguous(), "pixel_values_videos": pixel_values_videos.contiguous()},
              os.path.join(root, "inputs.safetensors"))
    save_file({"logits": logits, "logits_unquantized": unquantized}, os.path.join(root, "reference.safetensors"))
    meta = {
        "made_by": "scripts/gpu/awq_hf_fixture.py", "transformers": transformers.__version__, "torch": torch.__version__,
        "group_size": GROUP, "quantized_linears": len(packed), "kept_16bit": KEEP, "tokens": int(input_ids.shape[1]),
        "video_tokens": n_video, "logits_absmax": float(logits.abs().max()),
        "quantization_effect": float((logits - unquantized).abs().max() / logits.abs().max()),
        "files": sorted(os.listdir(model_dir)),
    }
    with open(os.path.join(root, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    with tarfile.open(os.path.join(out_dir, "awq.tar.gz"), "w:gz") as tar:
        tar.add(root, arcname="awq")
    print("done", json.dumps(meta))


if __name__ == "__main__":
    main()
