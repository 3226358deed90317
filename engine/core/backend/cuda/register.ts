// Registers the CUDA backend with the model loader: `--backend cuda` / `auto` then use the GPU when the kernels
// addon has one. SPARSEVILA_CUDA_DTYPE=f32 runs weights and KV cache in float32 (parity checks); default bf16.
import type { DType } from '../backend.ts';
import { registerBackend } from '../../models/load-model.ts';
import { tryCudaBackend } from './cuda-backend.ts';

let lastMessage = '';

/** Why the GPU is (not) used, after the last attempt; for logs and the settings screen. */
export function cudaBackendMessage(): string { return lastMessage; }

export function registerCudaBackend(): void {
  registerBackend('cuda', async () => {
    const env = process.env.SPARSEVILA_CUDA_DTYPE;
    const dtype: DType = env === 'f32' || env === 'f16' || env === 'bf16' ? env : 'bf16';
    const { backend, message } = tryCudaBackend({ dtype });
    lastMessage = message;
    return backend;
  });
}
