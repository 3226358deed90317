// Host f32 arrays the kernels read from device memory (RoPE inverse frequencies, RoPE angle tables), uploaded once
// per array object: a model's tables are made once per forward and read by every layer. An entry lives as long as its
// host array (the device copy is freed when both are collected), so an array must not change after its first use.
import type { RopePositions } from '../backend.ts';
import type { KernelsAddon } from './addon.ts';
import type { CudaTensor } from './cuda-tensor.ts';

export class DeviceArrays {
  private uploaded = new WeakMap<Float32Array, CudaTensor>();

  constructor(private a: KernelsAddon, private alloc: (shape: readonly number[]) => CudaTensor) {}

  get(x: Float32Array): CudaTensor {
    let t = this.uploaded.get(x);
    if (!t) {
      t = this.alloc([x.length]);
      this.a.upload(t.ptr, x);
      this.uploaded.set(x, t);
    }
    return t;
  }

  /** A RopePositions checked against T rows of head dim d, as the kernels take it: host positions and frequencies
   *  with angles 0, or null ones with the device angle table. */
  rope(op: string, rope: RopePositions, T: number, d: number): { positions: Int32Array | null; invFreq: Float32Array | null; angles: number } {
    if ('angles' in rope) {
      if (rope.angles.length !== T * (d / 2)) throw new Error(`${op}: ${rope.angles.length} angles for ${T} rows of ${d / 2} frequencies`);
      return { positions: null, invFreq: null, angles: this.get(rope.angles).ptr };
    }
    if (rope.positions.length !== T) throw new Error(`${op}: ${rope.positions.length} positions for ${T} rows`);
    if (rope.invFreq.length !== d / 2) throw new Error(`${op}: invFreq has ${rope.invFreq.length} entries, head dim ${d} needs ${d / 2}`);
    return { positions: rope.positions, invFreq: rope.invFreq, angles: 0 };
  }
}
