// The CUDA backend's tensor and KV cache handles: device pointers with shape and dtype (engine/core/backend/backend.ts
// Tensor / KvCache), shared by the backend and its fused-op helpers.
import type { DType, HostTensorData, KvCache, Tensor } from '../backend.ts';

export const BYTES: Record<DType, number> = { f32: 4, f16: 2, bf16: 2 };
export const numel = (shape: readonly number[]) => shape.reduce((a, x) => a * x, 1);

export class CudaTensor implements Tensor {
  disposed = false;
  /** `base` set: a view into base's memory (never freed by itself; keeps base alive). */
  constructor(readonly shape: readonly number[], readonly dtype: DType, readonly ptr: number, readonly base: CudaTensor | null = null) {}
  get size(): number { return numel(this.shape); }
  get cols(): number { return this.shape[this.shape.length - 1] ?? 1; }
  get rows(): number { return this.shape.length <= 1 ? 1 : this.size / this.cols; }
  get bytes(): number { return this.size * BYTES[this.dtype]; }
}

export class CudaKvCache implements KvCache {
  length = 0;
  constructor(readonly layers: number, readonly kvHeads: number, readonly headDim: number, readonly capacity: number,
    readonly dtype: DType, readonly k: number, readonly v: number) {}
  get row(): number { return this.kvHeads * this.headDim; }
  layerOffset(layer: number): number {
    if (!(layer >= 0 && layer < this.layers)) throw new Error(`KV cache: layer ${layer} outside [0, ${this.layers})`);
    return layer * this.capacity * this.row * BYTES[this.dtype];
  }
}

/** HostTensorData that asks for device-side synthetic values instead of carrying bytes (benchmarks at real sizes
 *  without a multi-GB host copy): uniform with standard deviation `std`, or constant `fill`. */
export interface DeviceRandomData extends HostTensorData {
  deviceRandom: { seed: number; std: number } | { fill: number };
}

