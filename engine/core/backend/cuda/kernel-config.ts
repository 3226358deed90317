// Which kernels the CUDA backend runs: one typed configuration with its defaults in one table. The backend takes a
// partial configuration (tests and benchmarks set fields; kernel-config-env.ts is the one place the environment
// is read) and passes the addon its part (kernels/src/kernel_config.h through `configure`). KERNELS.md has the
// measurements behind each default.
import type { DType } from '../backend.ts';
import type { AddonKernelConfig } from './addon.ts';

export type GemvMode = 'off' | 'on' | 'fused';

export interface KernelConfig {
  /** Weight / KV-cache dtype; 'f32' runs everything in float32 (parity checks; the 16-bit paths are then off). */
  dtype: DType;
  /** Decode GEMMs: 'off' = cuBLAS, 'on' = the GEMV kernel for <= 4 rows in linear(), 'fused' = GEMV plus the fused
   *  decode kernels (fused-layer-ops.ts DecodeKernels) and the device argmax. */
  gemv: GemvMode;
  /** Programmatic dependent launch of the GEMV kernels on sm_90+. */
  gemvPdl: boolean;
  /** The 16-bit prefill path (RMSNorm and SwiGLU input in the weight dtype, residual in the o / down GEMMs): 7B
   *  dense prefill of 12559 tokens 370 ms vs 433 (H100, round 2). */
  prefillFused: boolean;
  /** With prefillFused: q/k/v as one GEMM + bias + RoPE + KV write, weights fused at load. Round 5 (H200, 12559
   *  rows): 337.4 vs 346.5 ms, accuracy vs the f32 forward 4.13e-2 vs 4.34e-2. Read at model load. */
  prefillQkv: boolean;
  /** With prefillFused: the RMSNorm after the o / down projections in their epilogue. Round 4 (H200, 12559 rows):
   *  362 vs 370 ms, accuracy unchanged. */
  prefillResNorm: boolean;
  /** > 16 query rows: 'auto' = flash (v7 <= 64 rows, else wgmma v9 on sm_90a with d 128, else v2), 'mma' = flash
   *  without wgmma (what non-Hopper GPUs run), 'cublas' = cuBLAS GEMMs over query chunks. */
  prefillAttention: AddonKernelConfig['prefillAttention'];
  /** <= 16 query rows over a slot set: 'auto' = v9 below 30000 slots, v4 above; 'split' = split-K for every shape. */
  decodeAttention: AddonKernelConfig['decodeAttention'];
  /** Patch / retrieval saliency (colMeanSoftmax): tensor cores with bf16 operands, or SIMT f32 (always in f32 mode). */
  saliency: AddonKernelConfig['saliency'];
  /** Retrieval's per-layer top-k on the device (28 x 12579 in 0.074 ms vs 10.9 ms for download + JS top-k, round 4);
   *  false: the controller ranks the downloaded scores in JS. */
  deviceTopK: boolean;
  /** Vision tower: linear + GELU and linear + residual as one GEMM each (16-bit modes). */
  visionFused: boolean;
  /** Vision tower: LayerNorm / GELU outputs written in the weight dtype (their consumer is a linear). */
  visionLowp: boolean;
  /** Vision tower attention (frames as blocks): the flash kernel (16-bit modes; 1.16 vs 5.16 ms for 64 frames) or
   *  cuBLAS strided-batched GEMMs + softmax. */
  visionAttention: 'flash' | 'cublas';
}

export const DEFAULT_KERNEL_CONFIG: Readonly<KernelConfig> = Object.freeze({
  dtype: 'bf16',
  gemv: 'fused',
  gemvPdl: true,
  prefillFused: true,
  prefillQkv: true,
  prefillResNorm: true,
  prefillAttention: 'auto',
  decodeAttention: 'auto',
  saliency: 'tensor-core',
  deviceTopK: true,
  visionFused: true,
  visionLowp: true,
  visionAttention: 'flash',
});

/** The values each field accepts. */
const CHOICES: { [K in keyof KernelConfig]: readonly KernelConfig[K][] } = {
  dtype: ['bf16', 'f16', 'f32'],
  gemv: ['off', 'on', 'fused'],
  gemvPdl: [true, false],
  prefillFused: [true, false],
  prefillQkv: [true, false],
  prefillResNorm: [true, false],
  prefillAttention: ['auto', 'mma', 'cublas'],
  decodeAttention: ['auto', 'v4', 'v9', 'split'],
  saliency: ['tensor-core', 'simt'],
  deviceTopK: [true, false],
  visionFused: [true, false],
  visionLowp: [true, false],
  visionAttention: ['flash', 'cublas'],
};

/** `base` with the fields of `changes` set; unknown fields and values are errors naming them. */
export function withKernelConfig(base: Readonly<KernelConfig>, changes: Partial<KernelConfig>): KernelConfig {
  const out: KernelConfig = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(CHOICES, key)) throw new Error(`kernel config: unknown field "${key}" (known: ${Object.keys(CHOICES).join(', ')})`);
    const allowed = CHOICES[key as keyof KernelConfig] as readonly unknown[];
    if (!allowed.includes(value)) throw new Error(`kernel config: ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** The part of the configuration the addon applies itself. */
export function addonKernelConfig(c: Readonly<KernelConfig>): AddonKernelConfig {
  return {
    prefillAttention: c.prefillAttention,
    decodeAttention: c.decodeAttention,
    // f32 mode computes in float32 throughout: the tensor-core saliency rounds q/k to bf16 (~1e-3 of the scores),
    // which the f32 parity checks of the Qwen-VL towers caught; SIMT is the float32 kernel.
    saliency: c.dtype === 'f32' ? 'simt' : c.saliency,
    gemvLinear: c.gemv !== 'off',
    gemvPdl: c.gemvPdl,
  };
}
