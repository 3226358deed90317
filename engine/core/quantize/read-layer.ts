// A decoder layer's linears, biases and norms read from a checkpoint as float32 (the quantizer's working copy).
import type { DType } from '../backend/backend.ts';
import { hostToF32 } from '../backend/dtype.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import type { LayerWeights } from './quantize-layer.ts';
import { LINEARS, type layerNames } from './qwen2-groups.ts';

/** `read`: names read are added to it (so the caller copies only the rest). `dtypes.norm`: the norms' file dtype. */
export function readLayer(src: WeightSource, names: ReturnType<typeof layerNames>, read: Set<string>): { weights: LayerWeights; dtypes: { norm: DType } } {
  const get = (name: string) => { read.add(name); return src.get(name); };
  const f32 = (name: string) => hostToF32(get(name)).slice();
  const weights: LayerWeights = { linears: {} as LayerWeights['linears'], biases: {}, inputNorm: f32(names.inputNorm), postNorm: f32(names.postNorm) };
  for (const n of LINEARS) {
    const l = names.linears[n];
    weights.linears[n] = { out: l.shape[0], in: l.shape[1], data: f32(l.weight) };
    if (l.bias && src.has(l.bias)) weights.biases[n] = f32(l.bias);
  }
  return { weights, dtypes: { norm: src.get(names.inputNorm).dtype } };
}
