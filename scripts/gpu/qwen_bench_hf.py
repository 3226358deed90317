"""HF transformers baseline for `sparsevila bench --synthetic qwen2.5-vl-7b` (or qwen3-vl-8b): the model class at that
geometry (Qwen2.5-VL-7B: vision 32 x 1280, LLM 28 x 3584, 4 KV heads; Qwen3-VL-8B: vision 27 x 1152 with DeepStack,
LLM 36 x 4096, 8 KV heads), random bf16 weights, SDPA, on the GPU, with the bench's video layout: frames/2 groups of
448x252 frames as the processor rounds them (18 x 32 patches of 14 px; 16 x 28 of 16 px), second_per_grid_ts 1.0, the
video between vision_start / vision_end (Qwen3-VL: one block per group after a few timestamp tokens, as its processor
writes them) inside ~14 + 20 text tokens. Measures the vision tower alone, vision + prefill (one forward with the
video, as generate's first step), the LLM prefill alone (inputs_embeds of the same length), and greedy decode ms/token
with the KV cache (median of the steps).
Usage: python3 scripts/gpu/qwen_bench_hf.py [--model qwen2.5-vl-7b|qwen3-vl-8b] [--frames 64,256] [--tokens 128] [--out FILE.json]"""
import argparse, importlib.util, json, time
import torch
import transformers
import transformers as T

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="qwen2.5-vl-7b", choices=["qwen2.5-vl-7b", "qwen3-vl-8b"])
ap.add_argument("--frames", default="64,256")
ap.add_argument("--tokens", type=int, default=128)
ap.add_argument("--out", default=None)
args = ap.parse_args()

TOKENS = dict(image_token_id=151655, video_token_id=151656, vision_start_token_id=151652, vision_end_token_id=151653)
MODELS = {
    "qwen2.5-vl-7b": dict(
        config="Qwen2_5_VLConfig", cls="Qwen2_5_VLForConditionalGeneration", patch=14, grid=(18, 32), hidden=3584,
        text=dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                  num_key_value_heads=4, vocab_size=152064),
        rope={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
        vision=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, in_channels=3, out_hidden_size=3584,
                    patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                    fullatt_block_indexes=[7, 15, 23, 31], tokens_per_second=2, hidden_act="silu")),
    "qwen3-vl-8b": dict(
        config="Qwen3VLConfig", cls="Qwen3VLForConditionalGeneration", patch=16, grid=(16, 28), hidden=4096,
        text=dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
                  num_key_value_heads=8, head_dim=128, vocab_size=151936, attention_bias=False),
        rope={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [24, 20, 20], "mrope_interleaved": True},
        vision=dict(depth=27, hidden_size=1152, intermediate_size=4304, num_heads=16, in_channels=3, out_hidden_size=4096,
                    patch_size=16, spatial_merge_size=2, temporal_patch_size=2, num_position_embeddings=2304,
                    deepstack_visual_indexes=[8, 16, 24], hidden_act="gelu_pytorch_tanh")),
}
M = MODELS[args.model]
TEXT = dict(M["text"], max_position_embeddings=128000, rms_norm_eps=1e-6, hidden_act="silu", tie_word_embeddings=False,
            bos_token_id=151643, eos_token_id=151645)
ROPE, VISION = M["rope"], M["vision"]
GRID_H, GRID_W = M["grid"]
PATCH_DIM = 3 * 2 * M["patch"] ** 2
OUT = args.out or f"cuda-{args.model}.hf.json"


def build_config():
    last = None
    for text in (dict(TEXT, rope_parameters=ROPE), dict(TEXT, rope_scaling=dict(ROPE, type="mrope"))):
        try:
            cfg = getattr(T, M["config"])(text_config=text, vision_config=VISION, tie_word_embeddings=False, **TOKENS)
            break
        except Exception as e:  # the other rope form
            last = e
    else:
        raise last
    for k, v in TOKENS.items():
        setattr(cfg, k, v)
    return cfg


cfg = build_config()
impl = "sdpa"
t0 = time.perf_counter()
with torch.device("cuda"):
    try:
        model = getattr(T, M["cls"])._from_config(cfg, dtype=torch.bfloat16, attn_implementation=impl)
    except TypeError:
        model = getattr(T, M["cls"])._from_config(cfg, torch_dtype=torch.bfloat16, attn_implementation=impl)
model.eval()
torch.cuda.synchronize()
print(f"HF model built in {time.perf_counter() - t0:.1f} s; attn={model.config._attn_implementation}", flush=True)
visual = model.model.visual
vid = TOKENS["video_token_id"]
explicit_positions = False  # set if HF's own decode-step positions fail (then: past length + rope delta)


def timed(fn):
    torch.cuda.synchronize(); a = time.perf_counter(); r = fn(); torch.cuda.synchronize()
    return r, (time.perf_counter() - a) * 1000


def decode_step(nxt, past):
    global explicit_positions
    if not explicit_positions:
        try:
            return model(input_ids=nxt, past_key_values=past, use_cache=True)
        except Exception as e:
            print(f"decode step without position_ids failed ({e!r}); passing them explicitly", flush=True)
            explicit_positions = True
    delta = getattr(model.model, "rope_deltas", None)
    pos = past.get_seq_length() + (int(delta.reshape(-1)[0]) if delta is not None else 0)
    return model(input_ids=nxt, past_key_values=past, use_cache=True,
                 position_ids=torch.full((3, 1, 1), pos, dtype=torch.long, device="cuda"))


def run(frames, tokens, warm=False):
    t = frames // 2
    per_group = (GRID_H // 2) * (GRID_W // 2)
    n_vis = t * per_group
    text = lambda n: torch.randint(1000, 100000, (n,))
    vs, ve = torch.tensor([TOKENS["vision_start_token_id"]]), torch.tensor([TOKENS["vision_end_token_id"]])
    if args.model.startswith("qwen3"):  # per group: "<t seconds>" (a few text tokens), then its block
        video = torch.cat([torch.cat([text(4), vs, torch.full((per_group,), vid), ve]) for _ in range(t)])
    else:
        video = torch.cat([vs, torch.full((n_vis,), vid), ve])
    ids = torch.cat([text(14), video, text(20)])[None].cuda()
    mm = (ids == vid).long() * 2
    grid = torch.tensor([[t, GRID_H, GRID_W]], device="cuda")
    pix = torch.randn(t * GRID_H * GRID_W, PATCH_DIM, dtype=torch.bfloat16, device="cuda")
    spg = torch.tensor([1.0], device="cuda")
    with torch.inference_mode():
        _, vision_ms = timed(lambda: visual(pix, grid_thw=grid))
        kw = dict(input_ids=ids, mm_token_type_ids=mm, pixel_values_videos=pix, video_grid_thw=grid, second_per_grid_ts=spg,
                  attention_mask=torch.ones_like(ids), use_cache=True)
        out, full_ms = timed(lambda: model(**kw, logits_to_keep=1))
        past = out.past_key_values
        emb = torch.randn(1, ids.shape[1], M["hidden"], dtype=torch.bfloat16, device="cuda") * 0.02
        _, prefill_ms = timed(lambda: model.model.language_model(inputs_embeds=emb, use_cache=True))
        del emb
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        steps = []
        for _ in range(tokens):
            o, ms = timed(lambda: decode_step(nxt, past))
            past = o.past_key_values
            nxt = o.logits[:, -1].argmax(-1, keepdim=True)
            steps.append(ms)
    steps.sort()
    r = {"frames": frames, "tokens_in": int(ids.shape[1]), "visual_tokens": n_vis, "vision_ms": vision_ms,
         "vision_plus_prefill_ms": full_ms, "prefill_ms": prefill_ms, "decode_ms_per_token": steps[len(steps) // 2],
         "decode_positions": "explicit" if explicit_positions else "hf"}
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
    json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "transformers": transformers.__version__,
               "attn": impl, "flash_attn_installed": importlib.util.find_spec("flash_attn") is not None,
               "model": f"{args.model} geometry, random bf16", "results": results}, open(OUT, "w"), indent=1)
print("| frames | tokens | HF vision ms | HF vision+prefill ms | HF LLM prefill ms | HF decode ms/tok |")
for r in results:
    if "error" in r:
        print(f"| {r['frames']} | - | error | error | error | error |")
    else:
        print(f"| {r['frames']} | {r['tokens_in']} | {r['vision_ms']:.0f} | {r['vision_plus_prefill_ms']:.0f} | {r['prefill_ms']:.0f} | {r['decode_ms_per_token']:.2f} |")
