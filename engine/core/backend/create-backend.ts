// The backend a model runs on: `cpu`, `cuda`, or `auto` (the GPU when the kernels addon finds one, else the CPU).
// The CUDA backend is imported only when asked for, so CPU-only use never loads the addon.
import type { Backend, DType } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';

export type BackendChoice = 'cpu' | 'cuda' | 'auto';

export async function createBackend(choice: BackendChoice = 'auto', threads?: number): Promise<Backend> {
  if (choice === 'cuda' || choice === 'auto') {
    let cuda: typeof import('./cuda/cuda-backend.ts');
    try {
      cuda = await import('./cuda/cuda-backend.ts');
    } catch (e) {
      if (choice === 'cuda') throw new Error(`CUDA backend cannot be loaded: ${(e as Error).message}`);
      return new CpuBackend({ threads });
    }
    // SPARSEVILA_CUDA_DTYPE=f32 runs weights and KV cache in float32 (parity checks); default bf16.
    const env = process.env.SPARSEVILA_CUDA_DTYPE;
    const dtype: DType = env === 'f32' || env === 'f16' || env === 'bf16' ? env : 'bf16';
    const { backend } = cuda.tryCudaBackend({ dtype });
    if (backend) return backend;
    if (choice === 'cuda') throw new Error('CUDA backend not available (no GPU, or the kernels addon is not built); use --backend cpu');
  }
  return new CpuBackend({ threads });
}
