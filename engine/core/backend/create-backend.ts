// The backend a model runs on: `cpu`, `cuda`, or `auto` (the GPU when the kernels addon finds one, else the CPU).
// The CUDA backend is imported only when asked for, so CPU-only use never loads the addon.
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';
import { kernelConfigFromEnv } from './cuda/kernel-config-env.ts';
import type { KernelConfig } from './cuda/kernel-config.ts';

export type BackendChoice = 'cpu' | 'cuda' | 'auto';

export interface CreateBackendOptions {
  /** CPU backend threads. */
  threads?: number;
  /** CUDA kernel choices over the environment's (kernel-config-env.ts) and the defaults (kernel-config.ts). */
  kernels?: Partial<KernelConfig>;
}

export async function createBackend(choice: BackendChoice = 'auto', opts: CreateBackendOptions = {}): Promise<Backend> {
  const threads = opts.threads;
  if (choice === 'cuda' || choice === 'auto') {
    let cuda: typeof import('./cuda/cuda-backend.ts');
    try {
      cuda = await import('./cuda/cuda-backend.ts');
    } catch (e) {
      if (choice === 'cuda') throw new Error(`CUDA backend cannot be loaded: ${(e as Error).message}`);
      return new CpuBackend({ threads });
    }
    const { backend } = cuda.tryCudaBackend({ ...kernelConfigFromEnv(), ...opts.kernels });
    if (backend) return backend;
    if (choice === 'cuda') throw new Error('CUDA backend not available (no GPU, or the kernels addon is not built); use --backend cpu');
  }
  return new CpuBackend({ threads });
}
