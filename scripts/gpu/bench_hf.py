"""HF transformers baseline for bench_cuda.ts: LlavaOnevisionForConditionalGeneration at LLaVA-Video-7B geometry
(SigLIP-so400m + Qwen2-7B), random weights, bf16, SDPA attention, on the GPU. Measures vision + prefill (one forward
with the video), LLM prefill alone (inputs_embeds of the same length), and greedy decode ms/token with the KV cache.
Usage: python3 scripts/gpu/bench_hf.py [--frames 64,256] [--tokens 128] [--out FILE.json]"""
import argparse, json, time
import torch
from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, Qwen2Config, SiglipVisionConfig

ap = argparse.ArgumentParser()
ap.add_argument("--frames", default="64,256")
ap.add_argument("--tokens", type=int, default=128)
ap.add_argument("--out", default="cuda-7b.hf.json")
args = ap.parse_args()

vision = SiglipVisionConfig(hidden_size=1152, intermediate_size=4304, num_hidden_layers=26, num_attention_heads=16,
                            image_size=384, patch_size=14)
text = Qwen2Config(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                   num_key_value_heads=4, vocab_size=152064, rope_theta=1000000.0, max_position_embeddings=131072)
cfg = LlavaOnevisionConfig(vision_config=vision, text_config=text, vision_feature_layer=-1,
                           vision_feature_select_strategy="full")
cfg._attn_implementation = "sdpa"
t0 = time.perf_counter()
with torch.device("cuda"):
    try:
        model = LlavaOnevisionForConditionalGeneration._from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")
    except TypeError:
        model = LlavaOnevisionForConditionalGeneration._from_config(cfg, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
model.eval()
torch.cuda.synchronize()
print(f"HF model built in {time.perf_counter() - t0:.1f} s; attn={model.config._attn_implementation}", flush=True)
vid = cfg.video_token_id
tpf = ((384 // 14 + 1) // 2) ** 2  # pooled tokens per frame (14x14)


def timed(fn):
    torch.cuda.synchronize(); a = time.perf_counter(); r = fn(); torch.cuda.synchronize()
    return r, (time.perf_counter() - a) * 1000


def run(frames, tokens, warm=False):
    n_vis = frames * tpf + 1
    ids = torch.cat([torch.randint(1000, 100000, (14,)), torch.full((n_vis,), vid), torch.randint(1000, 100000, (20,))])[None].cuda()
    pix = torch.randn(1, frames, 3, 384, 384, dtype=torch.bfloat16, device="cuda")
    with torch.inference_mode():
        out, full_ms = timed(lambda: model(input_ids=ids, pixel_values_videos=pix, use_cache=True, logits_to_keep=1))
        past = out.past_key_values
        emb = torch.randn(1, ids.shape[1], 3584, dtype=torch.bfloat16, device="cuda") * 0.02
        _, prefill_ms = timed(lambda: model.model.language_model(inputs_embeds=emb, use_cache=True))
        del emb
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        steps = []
        for _ in range(tokens):
            o, ms = timed(lambda: model(input_ids=nxt, past_key_values=past, use_cache=True))
            past = o.past_key_values
            nxt = o.logits[:, -1].argmax(-1, keepdim=True)
            steps.append(ms)
    steps.sort()
    r = {"frames": frames, "tokens_in": int(ids.shape[1]), "vision_plus_prefill_ms": full_ms, "prefill_ms": prefill_ms,
         "vision_ms": full_ms - prefill_ms, "decode_ms_per_token": steps[len(steps) // 2]}
    if not warm:
        print("HF_RESULT " + json.dumps(r), flush=True)
    del past, out
    torch.cuda.empty_cache()
    return r


run(4, 4, warm=True)
results = []
for f in [int(x) for x in args.frames.split(",")]:
    try:
        results.append(run(f, args.tokens))
    except Exception as e:  # report, keep going
        print(f"HF frames={f} failed: {e!r}", flush=True)
        results.append({"frames": f, "error": repr(e)})
        torch.cuda.empty_cache()
json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "results": results}, open(args.out, "w"), indent=1)
print("| frames | tokens | HF vision ms | HF prefill ms | HF decode ms/tok |")
for r in results:
    if "error" in r:
        print(f"| {r['frames']} | - | error | error | error |")
    else:
        print(f"| {r['frames']} | {r['tokens_in']} | {r['vision_ms']:.0f} | {r['prefill_ms']:.0f} | {r['decode_ms_per_token']:.2f} |")
