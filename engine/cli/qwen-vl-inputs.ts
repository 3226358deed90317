// The `logits` inputs file of a Qwen2.5-VL / Qwen3-VL model, with HF's processor keys: input_ids [1, T] (each video
// placeholder expanded to its merged-grid token count), mm_token_type_ids [1, T] (0 text, 2 video; optional: the video
// token id marks the rows otherwise), pixel_values_videos [N, C·t·p·p], video_grid_thw [V, 3], second_per_grid_ts [V]
// (optional: 1 s per group, as HF assumes without it).
import { SafetensorsFile } from '../core/checkpoint/safetensors.ts';
import { hostToF32 } from '../core/backend/dtype.ts';
import { tokenIdsFromBytes } from '../core/checkpoint/token-ids.ts';
import { videoTokenRows, type QwenVlPrompt } from '../core/models/qwen-vl.ts';
import { UsageError } from './args.ts';

function ints(f: SafetensorsFile, path: string, name: string, shape: (s: number[]) => boolean, want: string): { v: Int32Array; shape: number[] } | null {
  const info = f.tensors.get(name);
  if (!info) return null;
  if (info.dtype !== 'I64' && info.dtype !== 'I32') throw new UsageError(`${path}: ${name} must be int64 (got ${info.dtype})`);
  if (!shape(info.shape)) throw new UsageError(`${path}: ${name} must be ${want} (got ${JSON.stringify(info.shape)})`);
  const n = info.shape.reduce((a, x) => a * x, 1);
  return { v: tokenIdsFromBytes(f.readBytes(name), info.dtype, n, `${path}: ${name}`), shape: info.shape };
}

function floats(f: SafetensorsFile, path: string, name: string): { v: Float32Array; shape: number[] } | null {
  const info = f.tensors.get(name);
  if (!info) return null;
  const dt = info.dtype === 'F32' ? 'f32' : info.dtype === 'F16' ? 'f16' : info.dtype === 'BF16' ? 'bf16' : null;
  if (!dt) throw new UsageError(`${path}: ${name} must be float (got ${info.dtype})`);
  return { v: hostToF32({ dtype: dt, shape: info.shape, bytes: f.readBytes(name) }), shape: info.shape };
}

export function readQwenVlInputs(path: string, videoTokenId: number): { prompt: QwenVlPrompt; pixels: Float32Array | null } {
  const f = new SafetensorsFile(path);
  try {
    const ids = ints(f, path, 'input_ids', (s) => s.length === 2 && s[0] === 1 && s[1] > 0, '[1, T]');
    if (!ids) throw new UsageError(`${path}: no "input_ids" tensor`);
    const T = ids.v.length;
    const types = ints(f, path, 'mm_token_type_ids', (s) => s.length === 2 && s[0] === 1 && s[1] === T, `[1, ${T}] like input_ids`);
    let videoRows: Int32Array;
    if (types) {
      const bad = types.v.findIndex((x) => x !== 0 && x !== 2);
      if (bad >= 0) throw new UsageError(`${path}: mm_token_type_ids[${bad}] = ${types.v[bad]}: only text (0) and video (2) tokens are supported`);
      videoRows = Int32Array.from(types.v.keys()).filter((i) => types.v[i] === 2);
      const odd = videoRows.find((r) => ids.v[r] !== videoTokenId);
      if (odd !== undefined) throw new UsageError(`${path}: row ${odd} is a video token in mm_token_type_ids but input_ids has ${ids.v[odd]} (the video token is ${videoTokenId})`);
    } else {
      videoRows = videoTokenRows(ids.v, videoTokenId);
    }
    const pixels = floats(f, path, 'pixel_values_videos');
    const grid = ints(f, path, 'video_grid_thw', (s) => s.length === 2 && s[1] === 3, '[videos, 3]');
    if (!pixels) {
      if (videoRows.length) throw new UsageError(`${path}: ${videoRows.length} video tokens but no pixel_values_videos`);
      return { prompt: { ids: ids.v, videoRows, grids: [], secondPerGrid: [] }, pixels: null };
    }
    if (pixels.shape.length !== 2) throw new UsageError(`${path}: pixel_values_videos must be [patches, C*t*p*p] as HF's processor writes it (got ${JSON.stringify(pixels.shape)})`);
    if (!grid) throw new UsageError(`${path}: pixel_values_videos without video_grid_thw`);
    const grids = Array.from({ length: grid.shape[0] }, (_, i) => ({ t: grid.v[3 * i], h: grid.v[3 * i + 1], w: grid.v[3 * i + 2] }));
    const secs = floats(f, path, 'second_per_grid_ts');
    if (secs && (secs.shape.length !== 1 || secs.shape[0] !== grids.length)) {
      throw new UsageError(`${path}: second_per_grid_ts must be [${grids.length}] (one per video), got ${JSON.stringify(secs.shape)}`);
    }
    const secondPerGrid = secs ? Array.from(secs.v) : grids.map(() => 1);
    return { prompt: { ids: ids.v, videoRows, grids, secondPerGrid }, pixels: pixels.v };
  } finally {
    f.close();
  }
}
