// Synthetic weights: every tensor filled by a seeded PRNG at small scale (activations stay finite), so benchmarks run
// at real geometry without files; with 4-bit weights, the language model's decoder linears are random AutoAWQ layers.
import type { AwqPacked, HostTensorData } from '../backend/backend.ts';
import type { LlavaOnevisionConfig } from './llava-onevision-config.ts';
import type { QwenVlConfig } from './qwen-vl-config.ts';
import type { TextConfig } from './qwen2-config.ts';
import { qwenVlTensorLayout } from './qwen-vl-layout.ts';
import type { LinearModule, WeightSource } from '../checkpoint/weights.ts';
import { f32ToBf16, f32ToF16 } from '../backend/dtype.ts';
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

/** Weight precision of synthetic models: 16-bit (or f32) everywhere, or the AWQ checkpoints' 4 bits for the language
 *  model's decoder linears (vision, projector, embeddings and lm_head stay 16-bit). */
export type SyntheticBits = 16 | 4;

/** The AWQ group size for a model: 128 (AutoAWQ's default) or the largest power of two >= 16 below it that divides
 *  every decoder linear's input features (the small test presets). */
export function awqGroupSize(cfg: { text: TextConfig }): number {
  const t = cfg.text, ins = [t.hiddenSize, t.heads * t.headDim, t.intermediateSize];
  const g = [128, 64, 32, 16].find((s) => ins.every((n) => n % s === 0));
  if (!g) throw new Error(`no AWQ group size of 16-128 divides the language model's input features ${ins.join(', ')}`);
  return g;
}

/** A random 4-bit layer in the AutoAWQ layout whose weights have about standard deviation `std`: uniform codes, zero
 *  point 8, scales std/4.6 (±25%). Any int32 is a valid word of eight codes, so qweight is raw PRNG output (a 7B model
 *  takes ~1 s). */
export function randomAwq(out: number, inF: number, groupSize: number, seed: number, std = 0.02): AwqPacked {
  const qweight = new Int32Array(inF * out / 8);
  let x = seed | 0 || 1; // an int32 from the start keeps the loop in integer registers
  for (let i = 0; i < qweight.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    qweight[i] = x;
  }
  const groups = inF / groupSize;
  const scales = new Float32Array(groups * out);
  fillTensor(scales, 'normal', x, 0.25 / Math.sqrt(3));
  const base = std / Math.sqrt((16 * 16 - 1) / 12);
  for (let i = 0; i < scales.length; i++) scales[i] = base * (1 + scales[i]);
  return { out, in: inF, groupSize, qweight, qzeros: new Int32Array(groups * out / 8).fill(0x88888888 | 0), scales: f32ToF16(scales) };
}

/** A model geometry synthetic weights are drawn for: LLaVA-OneVision (whole tower) or Qwen-VL. */
export type SyntheticConfig = LlavaOnevisionConfig | QwenVlConfig;

function syntheticSpecs(cfg: SyntheticConfig): Map<string, TensorSpec> {
  const list = 'family' in cfg ? qwenVlTensorLayout(cfg) : tensorLayout(cfg, { allVisionLayers: true });
  return new Map(list.map((s) => [s.name, s]));
}

/** WeightSource.linearQ4 of synthetic weights: the decoder linears at 4 bits, seeded by name. */
function syntheticQ4(bits: SyntheticBits, groupSize: number, seed: number, linear: LinearModule, shape: readonly number[]): AwqPacked | null {
  if (bits !== 4 || linear.awq !== 'required') return null;
  return randomAwq(shape[0], shape[1], groupSize, hash(linear.module, seed));
}

export class SyntheticWeights implements WeightSource {
  private specs: Map<string, TensorSpec>;
  private groupSize: number;
  constructor(cfg: SyntheticConfig, private seed = 0, private dtype: 'f32' | 'bf16' = 'f32', private bits: SyntheticBits = 16) {
    this.specs = syntheticSpecs(cfg);
    this.groupSize = bits === 4 ? awqGroupSize(cfg) : 0;
  }
  linearQ4(linear: LinearModule, shape: readonly number[]): AwqPacked | null {
    return syntheticQ4(this.bits, this.groupSize, this.seed, linear, shape);
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
  private specs: Map<string, TensorSpec>;
  private groupSize: number;
  constructor(cfg: SyntheticConfig, private seed = 0, private bits: SyntheticBits = 16) {
    this.specs = syntheticSpecs(cfg);
    this.groupSize = bits === 4 ? awqGroupSize(cfg) : 0;
  }
  /** 4-bit layers are drawn on the host (packed, 1/8 of the 16-bit bytes) and handed to Backend.weightQ4. */
  linearQ4(linear: LinearModule, shape: readonly number[]): AwqPacked | null {
    return syntheticQ4(this.bits, this.groupSize, this.seed, linear, shape);
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
