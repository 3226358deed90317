// Reads the Qwen-VL vision fixture (test/fixtures/qwen-vision, made by scripts/gpu/qwen_vision_fixture.py with
// transformers 5.17, fp32 eager) and loads its towers on a backend.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../../engine/core/backend/backend.ts';
import { SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { CheckpointWeights } from '../../../engine/core/checkpoint/weights.ts';
import type { VisionGrid } from '../../../engine/core/models/qwen-vision-grid.ts';
import { parseQwen25VisionConfig } from '../../../engine/core/models/qwen2-5-vl-vision-config.ts';
import { Qwen25VisionTower } from '../../../engine/core/models/qwen2-5-vl-vision.ts';
import { parseQwen3VisionConfig } from '../../../engine/core/models/qwen3-vl-vision-config.ts';
import { Qwen3VisionTower } from '../../../engine/core/models/qwen3-vl-vision.ts';

export const QWEN_VISION_FIXTURE = join(import.meta.dirname, '../../fixtures/qwen-vision');
export type QwenVisionCase = 'qwen25' | 'qwen3';

export function readTensors(path: string): Map<string, { data: Float32Array | BigInt64Array; shape: number[] }> {
  const f = new SafetensorsFile(path);
  try {
    const out = new Map<string, { data: Float32Array | BigInt64Array; shape: number[] }>();
    for (const [name, info] of f.tensors) {
      const b = f.readBytes(name).slice();
      const data = info.dtype === 'I64' ? new BigInt64Array(b.buffer) : new Float32Array(b.buffer);
      out.set(name, { data, shape: info.shape });
    }
    return out;
  } finally {
    f.close();
  }
}

export function loadCase(be: Backend, name: QwenVisionCase) {
  const dir = join(QWEN_VISION_FIXTURE, name);
  const vision = JSON.parse(readFileSync(join(dir, 'model', 'config.json'), 'utf8')).vision_config;
  const src = new CheckpointWeights(join(dir, 'model'));
  const tower = name === 'qwen25'
    ? Qwen25VisionTower.load(be, src, parseQwen25VisionConfig(vision))
    : Qwen3VisionTower.load(be, src, parseQwen3VisionConfig(vision));
  src.close();
  const inputs = readTensors(join(dir, 'inputs.safetensors'));
  const g = inputs.get('video_grid_thw')!.data as BigInt64Array;
  const grids: VisionGrid[] = [];
  for (let i = 0; i < g.length; i += 3) grids.push({ t: Number(g[i]), h: Number(g[i + 1]), w: Number(g[i + 2]) });
  const ref = readTensors(join(dir, 'reference.safetensors'));
  const refF32 = (k: string) => ref.get(k)?.data as Float32Array | undefined;
  return { tower, pixels: inputs.get('pixel_values_videos')!.data as Float32Array, grids, ref: refF32 };
}

/** max |got - ref| / max |ref|. */
export function relError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(got[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / m;
}
