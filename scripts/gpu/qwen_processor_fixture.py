"""Hugging Face's Qwen2.5-VL and Qwen3-VL video processors (transformers 5.17) on committed raw RGB frames, saved so
test/unit/video/qwen-video-processor.test.ts can check our TypeScript preprocessing against them.

Two steps:
    python3 scripts/gpu/qwen_processor_fixture.py frames test/fixtures/qwen-processor
        (here, numpy only) writes the deterministic frame sets <name>_<W>x<H>x<F>.rgb.gz
    python3 scripts/gpu/qwen_processor_fixture.py run test/fixtures/qwen-processor OUT_DIR
        (the GPU machine: torch + torchvision + transformers; no model download, no ffmpeg) runs the processors.

The processors are built from the configs the hub repos publish (qwen25/preprocessor_config.json as in
Qwen/Qwen2.5-VL-7B-Instruct, qwen3/video_preprocessor_config.json as in Qwen/Qwen3-VL-8B-Instruct), loaded with
from_pretrained from those folders, plus per-case overrides (smaller pixel budgets, to reach every smart_resize branch).
Outputs in OUT_DIR:
    <case>.u8.gz     pixel_values_videos de-normalized back to 0..255 ((x * std + mean) * 255, rounded), in HF's own
                     flattened layout [N, C * T * p * p] (channel of column j = j // (T * p * p))
    cases.json       per case: frames in, overrides, video_grid_thw, shape, the rounding residual (0 = exact), the first
                     256 float values; sampling cases (frame indices HF picks for a video's metadata, and Qwen3-VL's
                     `<t seconds>` timestamps); smart_resize tables; versions
    sources.txt      the 5.17 source of the functions whose semantics the TypeScript reproduces
"""

import gzip
import inspect
import json
import math
import re
import sys
import traceback
from pathlib import Path

import numpy as np

FRAME_SETS = [
    # name, width, height, frames. clipC's 70 and 42 hit smart_resize's round-half-even ties for factor 28 (2.5, 1.5);
    # clipD is smaller than one merged patch (Qwen3-VL scales it up).
    ("clipA", 150, 98, 5),
    ("clipB", 200, 120, 4),
    ("clipC", 70, 42, 3),
    ("clipD", 24, 40, 2),
]


def make_frames(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(14)
    for name, w, h, f in FRAME_SETS:
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        frames = []
        for k in range(f):
            r = 128 + 100 * np.sin(x / 9.0 + k * 0.7) * np.cos(y / 13.0)
            g = 255 * (x + 3 * k) / (w + 3 * f)
            b = 128 + 120 * np.sign(np.sin((x + y + 5 * k) / 6.0))
            img = np.stack([r, g, b], axis=-1) + rng.integers(-2, 3, size=(h, w, 3))
            frames.append(np.clip(np.rint(img), 0, 255).astype(np.uint8))
        data = np.stack(frames).tobytes()
        (out / f"{name}_{w}x{h}x{f}.rgb.gz").write_bytes(gzip.compress(data, 9, mtime=0))
        print(name, len(data))


def load_frames(src: Path) -> dict:
    sets = {}
    for p in sorted(src.glob("*.rgb.gz")):
        m = re.fullmatch(r"(.+)_(\d+)x(\d+)x(\d+)\.rgb\.gz", p.name)
        name, w, h, f = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
        sets[name] = np.frombuffer(gzip.decompress(p.read_bytes()), dtype=np.uint8).reshape(f, h, w, 3)
    return sets


# (case, family, frame set, overrides passed to the processor call)
PIXEL_CASES = [
    ("q25_clipA", "qwen25", "clipA", {}),
    ("q25_clipB_small", "qwen25", "clipB", {"max_pixels": 28 * 28 * 12}),
    ("q25_clipB_size", "qwen25", "clipB", {"size": {"shortest_edge": 3136, "longest_edge": 28 * 28 * 12}}),
    ("q25_clipC_ties", "qwen25", "clipC", {}),
    ("q25_clipA_up", "qwen25", "clipA", {"min_pixels": 28 * 28 * 40}),
    ("q25_clipD_tiny", "qwen25", "clipD", {}),
    ("q3_clipA", "qwen3", "clipA", {}),
    ("q3_clipB_small", "qwen3", "clipB", {"size": {"shortest_edge": 4096, "longest_edge": 32 * 32 * 4 * 10}}),
    ("q3_clipC", "qwen3", "clipC", {}),
    ("q3_clipD_tiny", "qwen3", "clipD", {}),
    ("q3_clipA_up", "qwen3", "clipA", {"size": {"shortest_edge": 32 * 32 * 6 * 30, "longest_edge": 25165824}}),
]

# Sampling: (total frames, source fps, call kwargs)
SAMPLING_CASES = [
    (300, 30.0, {"fps": 2}),
    (300, 30.0, {"fps": 1}),
    (300, 29.97, {"fps": 2}),
    (301, 24.0, {"fps": 2}),
    (61, 24.0, {"fps": 2}),
    (61, 24.0, {"fps": 0.5}),
    (7, 30.0, {"fps": 2}),
    (3, 30.0, {"fps": 2}),
    (1000, 25.0, {"fps": 2, "max_frames": 16}),
    (1000, 25.0, {"fps": 4, "max_frames": 33}),
    (90, 30.0, {"fps": 2, "min_frames": 8}),
    (120, 30.0, {"num_frames": 16}),
    (120, 30.0, {"num_frames": 7}),
    (250, 24.0, {}),
]


def versions() -> dict:
    import PIL
    import torch
    import torchvision
    import transformers

    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "torchvision": torchvision.__version__, "pillow": PIL.__version__, "numpy": np.__version__}


def dump_sources(out: Path) -> None:
    import transformers
    from transformers import video_processing_utils
    from transformers.models.qwen2_vl import video_processing_qwen2_vl
    from transformers.models.qwen3_vl import processing_qwen3_vl, video_processing_qwen3_vl

    parts = [video_processing_qwen2_vl, video_processing_qwen3_vl, processing_qwen3_vl]
    try:
        from transformers.models.qwen2_vl import image_processing_qwen2_vl
        parts.append(image_processing_qwen2_vl.smart_resize)
    except Exception:
        pass
    try:
        from transformers.models.qwen2_5_vl import processing_qwen2_5_vl
        parts.append(processing_qwen2_5_vl)
    except Exception:
        pass
    for name in ("sample_frames", "resize", "rescale_and_normalize", "_preprocess", "_decode_and_sample_videos",
                 "__call__", "preprocess", "_further_process_kwargs"):
        fn = getattr(video_processing_utils.BaseVideoProcessor, name, None)
        if fn is not None:
            parts.append(fn)
    text = []
    for p in parts:
        try:
            text.append(f"##### {getattr(p, '__qualname__', getattr(p, '__name__', p))}\n{inspect.getsource(p)}")
        except Exception as e:
            text.append(f"##### {p}: {e!r}")
    try:
        from transformers.models.auto import video_processing_auto
        m = video_processing_auto.VIDEO_PROCESSOR_MAPPING_NAMES
        text.append("##### auto video: " + json.dumps({k: str(m.get(k)) for k in ("qwen2_5_vl", "qwen3_vl")}))
    except Exception as e:
        text.append(f"##### auto video: {e!r}")
    text.append("##### transformers " + transformers.__version__)
    (out / "sources.txt").write_text("\n\n".join(text))


def processors(src: Path) -> dict:
    from transformers import Qwen2VLVideoProcessor, Qwen3VLVideoProcessor

    made = {}
    for family, cls, folder, file in (("qwen25", Qwen2VLVideoProcessor, "qwen25", "preprocessor_config.json"),
                                      ("qwen3", Qwen3VLVideoProcessor, "qwen3", "video_preprocessor_config.json")):
        try:
            made[family] = (cls.from_pretrained(str(src / folder)), "from_pretrained")
        except Exception as e:
            cfg = json.loads((src / folder / file).read_text())
            cfg = {k: v for k, v in cfg.items() if not k.endswith("_type") and k != "processor_class"}
            made[family] = (cls(**cfg), f"constructor ({e!r})")
    return made


def metadata_for(total: int, fps: float):
    from transformers.video_utils import VideoMetadata

    return VideoMetadata(total_num_frames=total, fps=fps, duration=total / fps, width=64, height=64)


def uncapped(proc, family: str) -> dict:
    """Later versions than 5.17 may add Qwen3-VL's per-frame pixel cap (off by default, with a warning): keep it off."""
    if family == "qwen3" and "cap_pixels_per_frame" in inspect.signature(proc._preprocess).parameters:
        return {"cap_pixels_per_frame": False}
    return {}


def run_pixels(proc, family: str, frames: np.ndarray, overrides: dict):
    import torch

    kwargs = {**uncapped(proc, family), **overrides}
    result = proc(videos=[frames], do_sample_frames=False, return_tensors="pt", **kwargs)
    pv = result["pixel_values_videos"].to(torch.float64).numpy()
    return pv, result["video_grid_thw"].tolist()


def denormalize(pv: np.ndarray, proc, tps: int, patch: int) -> tuple:
    mean = np.array(proc.image_mean, dtype=np.float64)
    std = np.array(proc.image_std, dtype=np.float64)
    per = tps * patch * patch
    ch = np.arange(pv.shape[1]) // per
    u = (pv * std[ch] + mean[ch]) * 255.0
    return np.clip(np.rint(u), 0, 255).astype(np.uint8), float(np.abs(u - np.rint(u)).max())


def run_sampling(proc, family: str, total: int, fps: float, kwargs: dict) -> dict:
    """Frame k of the probe video encodes k in its red and green values; the processor's output says which it kept."""
    import torch

    side = 64 if family == "qwen3" else 56
    k = np.arange(total)
    video = np.zeros((total, side, side, 3), dtype=np.uint8)
    video[..., 0] = (k % 256)[:, None, None]
    video[..., 1] = (k // 256)[:, None, None]
    call = {**uncapped(proc, family), **kwargs}
    result = proc(videos=[video], video_metadata=[metadata_for(total, fps)], do_sample_frames=True, do_resize=False,
                  return_tensors="pt", return_metadata=True, **call)
    pv = result["pixel_values_videos"].to(torch.float64).numpy()
    t, h, w = result["video_grid_thw"].tolist()[0]
    tps, p = proc.temporal_patch_size, proc.patch_size
    mean = np.array(proc.image_mean, dtype=np.float64)
    std = np.array(proc.image_std, dtype=np.float64)
    indices = []
    for g in range(t):
        row = pv[g * h * w]  # the first patch of temporal group g
        for s in range(tps):
            red = row[(0 * tps + s) * p * p] * std[0] + mean[0]
            green = row[(1 * tps + s) * p * p] * std[1] + mean[1]
            indices.append(int(round(red * 255)) + 256 * int(round(green * 255)))
    meta = result.get("video_metadata")
    frames_indices = None
    if meta is not None:
        m0 = meta[0]
        fi = getattr(m0, "frames_indices", None) if not isinstance(m0, dict) else m0.get("frames_indices")
        frames_indices = [int(i) for i in fi] if fi is not None else None
    out = {"grid": [t, h, w], "patch_indices": indices, "frames_indices": frames_indices}
    if family == "qwen3" and frames_indices is not None:
        from transformers.models.qwen3_vl.processing_qwen3_vl import Qwen3VLProcessor

        stamps = Qwen3VLProcessor._calculate_timestamps(None, list(frames_indices), fps, proc.temporal_patch_size)
        out["timestamps"] = [float(s) for s in stamps]
        out["timestamp_text"] = "".join(f"<{s:.1f} seconds>" for s in stamps)
    return out


def smart_resize_tables() -> dict:
    rng = np.random.default_rng(5)
    tables = {}
    try:
        from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize as sr2
        rows = []
        for _ in range(300):
            h, w = int(rng.integers(28, 2200)), int(rng.integers(28, 2200))
            mn = int(rng.choice([3136, 128 * 28 * 28, 28 * 28 * 300]))
            mx = int(rng.choice([12845056, 28 * 28 * 768, 28 * 28 * 64, 28 * 28 * 300]))
            try:
                rows.append([h, w, mn, mx, list(sr2(h, w, factor=28, min_pixels=mn, max_pixels=mx))])
            except Exception as e:
                rows.append([h, w, mn, mx, repr(e)])
        tables["qwen2"] = rows
    except Exception as e:
        tables["qwen2"] = repr(e)
    try:
        from transformers.models.qwen3_vl.video_processing_qwen3_vl import smart_resize as sr3
        rows = []
        for _ in range(300):
            t = int(rng.integers(2, 300))
            h, w = int(rng.integers(8, 2200)), int(rng.integers(8, 2200))
            mn = int(rng.choice([4096, 128 * 32 * 32, 32 * 32 * 2 * 500]))
            mx = int(rng.choice([25165824, 32 * 32 * 768, 32 * 32 * 2 * 100, 32 * 32 * 24576]))
            try:
                rows.append([t, h, w, mn, mx, list(sr3(num_frames=t, height=h, width=w, temporal_factor=2, factor=32,
                                                       min_pixels=mn, max_pixels=mx))])
            except Exception as e:
                rows.append([t, h, w, mn, mx, repr(e)])
        tables["qwen3"] = rows
    except Exception as e:
        tables["qwen3"] = repr(e)
    return tables


def run(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    report = {"versions": versions(), "pixel_cases": {}, "sampling_cases": {}, "errors": []}
    try:
        dump_sources(out)
    except Exception:
        report["errors"].append(traceback.format_exc())
    made = processors(src)
    report["processors"] = {f: {"class": type(p).__name__, "how": how,
                                "settings": {k: str(getattr(p, k, None)) for k in (
                                    "size", "min_pixels", "max_pixels", "patch_size", "temporal_patch_size",
                                    "merge_size", "image_mean", "image_std", "resample", "fps", "min_frames",
                                    "max_frames", "do_sample_frames", "num_frames")}}
                            for f, (p, how) in made.items()}
    frames = load_frames(src)
    for case, family, fset, overrides in PIXEL_CASES:
        proc = made[family][0]
        try:
            pv, grid = run_pixels(proc, family, frames[fset], overrides)
            u8, residual = denormalize(pv, proc, proc.temporal_patch_size, proc.patch_size)
            (out / f"{case}.u8.gz").write_bytes(gzip.compress(u8.tobytes(), 9, mtime=0))
            report["pixel_cases"][case] = {"family": family, "frames": fset, "overrides": overrides, "grid": grid,
                                           "shape": list(pv.shape), "rounding_residual_max": residual,
                                           "head": [float(v) for v in pv.reshape(-1)[:256]]}
        except Exception as e:
            report["pixel_cases"][case] = {"family": family, "frames": fset, "overrides": overrides,
                                           "error": f"{type(e).__name__}: {e}"}
        print(case, json.dumps({k: v for k, v in report["pixel_cases"][case].items() if k != "head"}))
    for family in ("qwen25", "qwen3"):
        proc = made[family][0]
        for total, fps, kwargs in SAMPLING_CASES:
            key = f"{family}:{total}@{fps}:{json.dumps(kwargs, sort_keys=True)}"
            try:
                report["sampling_cases"][key] = {"family": family, "total": total, "video_fps": fps, "kwargs": kwargs,
                                                 **run_sampling(proc, family, total, fps, kwargs)}
            except Exception as e:
                report["sampling_cases"][key] = {"family": family, "total": total, "video_fps": fps, "kwargs": kwargs,
                                                 "error": f"{type(e).__name__}: {e}"}
            print(key, json.dumps(report["sampling_cases"][key]))
    report["smart_resize"] = smart_resize_tables()
    (out / "cases.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report["versions"]))


if __name__ == "__main__":
    if sys.argv[1] == "frames":
        make_frames(Path(sys.argv[2]))
    else:
        run(Path(sys.argv[2]), Path(sys.argv[3]))
