// Synthetic weights: every tensor filled by a seeded PRNG at small scale (activations stay finite), so benchmarks run
// at real geometry without files.
import type { HostTensorData } from '../backend/backend.ts';
import type { LlavaOnevisionConfig } from './llava-onevision-config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { f32ToBf16 } from '../backend/dtype.ts';
import { tensorLayout } from './llava-onevision.ts';
import type { InitKind, TensorSpec } from './tensor-spec.ts';

function hash(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h || 1;
}

/** Deterministic fill: uniform with the given standard deviation (xorshift32). */
export function fillTensor(out: Float32Array, init: InitKind, seed: number, std = 0.02): void {
  if (init === 'ones') { out.fill(1); return; }
  if (init === 'zeros') { out.fill(0); return; }
  const a = (init === 'small' ? std / 2 : std) * Math.sqrt(3);
  let x = seed >>> 0 || 1;
  const k = (2 * a) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x * k - a;
  }
}

export class SyntheticWeights implements WeightSource {
  private specs = new Map<string, TensorSpec>();
  constructor(cfg: LlavaOnevisionConfig, private seed = 0, private dtype: 'f32' | 'bf16' = 'f32') {
    for (const s of tensorLayout(cfg, { allVisionLayers: true })) this.specs.set(s.name, s);
  }
  has(name: string): boolean {
    return this.specs.has(name);
  }
  get(name: string, shape?: readonly number[]): HostTensorData {
    const s = this.specs.get(name);
    if (!s) throw new Error(`synthetic weights: no tensor "${name}"`);
    if (shape && shape.join() !== s.shape.join()) throw new Error(`synthetic weights: "${name}" is ${JSON.stringify(s.shape)}, asked ${JSON.stringify(shape)}`);
    const n = s.shape.reduce((a, x) => a * x, 1);
    const f = new Float32Array(n);
    fillTensor(f, s.init, hash(name, this.seed));
    const bytes = this.dtype === 'bf16' ? new Uint8Array(f32ToBf16(f).buffer) : new Uint8Array(f.buffer);
    return { dtype: this.dtype, shape: [...s.shape], bytes };
  }
  close(): void {}
}

/** Synthetic weights generated on the device (CUDA backend: `deviceRandom` asks the backend to fill the tensor
 *  itself), so a 7B-geometry model is ready in well under a second instead of generating 15 GB in JS. Same
 *  distributions as SyntheticWeights, different values. */
export class DeviceSyntheticWeights implements WeightSource {
  private specs = new Map<string, TensorSpec>();
  constructor(cfg: LlavaOnevisionConfig, private seed = 0) {
    for (const s of tensorLayout(cfg, { allVisionLayers: true })) this.specs.set(s.name, s);
  }
  has(name: string): boolean {
    return this.specs.has(name);
  }
  get(name: string, shape?: readonly number[]): HostTensorData & { deviceRandom: { seed: number; std: number } | { fill: number } } {
    const s = this.specs.get(name);
    if (!s) throw new Error(`synthetic weights: no tensor "${name}"`);
    if (shape && shape.join() !== s.shape.join()) throw new Error(`synthetic weights: "${name}" is ${JSON.stringify(s.shape)}, asked ${JSON.stringify(shape)}`);
    const deviceRandom = s.init === 'ones' ? { fill: 1 } : s.init === 'zeros' ? { fill: 0 }
      : { seed: hash(name, this.seed), std: s.init === 'small' ? 0.01 : 0.02 };
    return { dtype: 'f32', shape: [...s.shape], bytes: new Uint8Array(0), deviceRandom };
  }
  close(): void {}
}
