// The one place the environment chooses kernels: switches for benchmarks and parity runs, read when a backend is
// created (create-backend.ts). Everything else sets KernelConfig fields directly.
//   SPARSEVILA_CUDA_DTYPE  = bf16 | f16 | f32                   -> dtype
//   SPARSEVILA_GEMV        = off | on | fused (0 / 1 too)        -> gemv
//   SPARSEVILA_FLASH       = auto | mma | off (0 too)            -> prefillAttention ('off': cublas)
//   SPARSEVILA_DECODE_ATTN = 0 (auto) | 3 (split) | 4 | 9        -> decodeAttention
//   SPARSEVILA_PREFILL_FUSED = 1 | 0                            -> prefillFused
//   SPARSEVILA_VISION_FUSED  = 1 | 0                            -> visionFused and visionLowp
//   SPARSEVILA_VISION_ATTN = flash | cublas                      -> visionAttention
import type { KernelConfig } from './kernel-config.ts';

type Env = Record<string, string | undefined>;

function pick<T>(env: Env, name: string, choices: Record<string, T>): T | undefined {
  const raw = env[name];
  const v = raw?.trim().toLowerCase();
  if (!v) return undefined;
  if (!Object.hasOwn(choices, v)) throw new Error(`${name} must be one of ${Object.keys(choices).join(', ')}, got "${raw}"`);
  return choices[v];
}

const ON_OFF = { 1: true, on: true, 0: false, off: false };

export function kernelConfigFromEnv(env: Env = process.env): Partial<KernelConfig> {
  const out: Partial<KernelConfig> = {
    dtype: pick(env, 'SPARSEVILA_CUDA_DTYPE', { bf16: 'bf16', f16: 'f16', f32: 'f32' } as const),
    gemv: pick(env, 'SPARSEVILA_GEMV', { off: 'off', 0: 'off', on: 'on', 1: 'on', fused: 'fused' } as const),
    prefillAttention: pick(env, 'SPARSEVILA_FLASH', { auto: 'auto', mma: 'mma', off: 'cublas', 0: 'cublas' } as const),
    decodeAttention: pick(env, 'SPARSEVILA_DECODE_ATTN', { 0: 'auto', 3: 'split', 4: 'v4', 9: 'v9' } as const),
    prefillFused: pick(env, 'SPARSEVILA_PREFILL_FUSED', ON_OFF),
    visionFused: pick(env, 'SPARSEVILA_VISION_FUSED', ON_OFF),
    visionLowp: pick(env, 'SPARSEVILA_VISION_FUSED', ON_OFF),
    visionAttention: pick(env, 'SPARSEVILA_VISION_ATTN', { flash: 'flash', cublas: 'cublas' } as const),
  };
  for (const k of Object.keys(out) as (keyof KernelConfig)[]) if (out[k] === undefined) delete out[k];
  return out;
}
