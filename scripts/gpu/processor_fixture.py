"""Runs Hugging Face's LLaVA-OneVision video processor on committed raw RGB frames and saves its output, so
test/unit/video/preprocess-hf.test.ts can check that our TypeScript preprocessing matches it.

Run where torch + torchvision + transformers are installed (the GPU machine; no model download needed):
    python3 scripts/gpu/processor_fixture.py test/fixtures/video OUT_DIR

Inputs (in the fixture dir): <name>_<W>x<H>x<F>.rgb (packed uint8 RGB frames) and preprocessor_config.json (as in
llava-hf/llava-onevision-qwen2-0.5b-ov-hf). Outputs per frame set:
    <name>.hf_u8.gz  pixel_values_videos de-normalized back to 0..255 (x * std + mean) * 255, rounded to uint8,
                     layout [F, 3, H, W]; meta.json records the rounding residual (0 means the values were exact).
    <name>.pil_u8.gz Pillow's own BICUBIC resize of each frame, [F, H, W, 3] (diagnostic only).
meta.json: versions, the processor's settings, shapes and residuals.
"""

import gzip
import json
import re
import sys
from pathlib import Path

import numpy as np
import PIL
import torch
import torchvision
import transformers
from PIL import Image
from transformers import LlavaOnevisionVideoProcessor


def main() -> None:
    src = Path(sys.argv[1])
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((src / "preprocessor_config.json").read_text())
    kwargs = {k: cfg[k] for k in ("size", "resample", "image_mean", "image_std", "rescale_factor", "do_resize",
                                  "do_rescale", "do_normalize", "do_convert_rgb")}
    processor = LlavaOnevisionVideoProcessor(**kwargs)
    mean = np.array(cfg["image_mean"], dtype=np.float64).reshape(1, 3, 1, 1)
    std = np.array(cfg["image_std"], dtype=np.float64).reshape(1, 3, 1, 1)
    meta = {
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "torchvision": torchvision.__version__, "pillow": PIL.__version__, "numpy": np.__version__},
        "processor": type(processor).__name__,
        "processor_settings": {k: str(getattr(processor, k, None)) for k in
                               ("size", "resample", "image_mean", "image_std", "rescale_factor", "do_resize",
                                "do_rescale", "do_normalize", "do_sample_frames", "device")},
        "sets": {},
    }
    for raw in sorted(src.glob("*.rgb")):
        m = re.fullmatch(r"(.+)_(\d+)x(\d+)x(\d+)\.rgb", raw.name)
        if not m:
            continue
        name, w, h, f = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
        frames = np.frombuffer(raw.read_bytes(), dtype=np.uint8).reshape(f, h, w, 3)
        result = processor(videos=[frames], return_tensors="pt", do_sample_frames=False)
        pv = result["pixel_values_videos"][0].to(torch.float64).numpy()  # [F, 3, H, W]
        u = (pv * std + mean) * 255.0
        u8 = np.clip(np.rint(u), 0, 255).astype(np.uint8)
        (out / f"{name}.hf_u8.gz").write_bytes(gzip.compress(u8.tobytes(), 9))
        size = (pv.shape[3], pv.shape[2])
        pil = np.stack([np.asarray(Image.fromarray(fr).resize(size, Image.BICUBIC)) for fr in frames])
        (out / f"{name}.pil_u8.gz").write_bytes(gzip.compress(pil.tobytes(), 9))
        info = {
            "input": raw.name, "shape": list(pv.shape), "dtype": str(result["pixel_values_videos"].dtype),
            "rounding_residual_max": float(np.abs(u - np.rint(u)).max()),
            "pv_min": float(pv.min()), "pv_max": float(pv.max()),
            "hf_vs_pil_max_abs_u8": int(np.abs(u8.astype(int) - pil.transpose(0, 3, 1, 2).astype(int)).max()),
            "hf_vs_pil_count_diff": int((u8 != pil.transpose(0, 3, 1, 2)).sum()),
        }
        if torch.cuda.is_available():
            try:
                gpu = processor(videos=[frames], return_tensors="pt", do_sample_frames=False, device="cuda")
                g = gpu["pixel_values_videos"][0].to(torch.float64).cpu().numpy()
                info["cuda_vs_cpu_max_abs"] = float(np.abs(g - pv).max())
            except Exception as e:  # diagnostic only
                info["cuda_error"] = repr(e)
        meta["sets"][name] = info
        print(name, json.dumps(info))
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta["versions"]), meta["processor"])


if __name__ == "__main__":
    main()
