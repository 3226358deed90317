// gelu(x · wᵀ + b) through the backend's fused op when it has one, else linear then gelu.
import type { Backend, Tensor } from '../backend/backend.ts';

export function linearGelu(be: Backend, x: Tensor, w: Tensor, b: Tensor | undefined, kind: 'tanh' | 'erf'): Tensor {
  if (be.linearGelu) return be.linearGelu(x, w, b, kind);
  const h = be.linear(x, w, b);
  const a = be.gelu(h, kind);
  be.dispose(h);
  return a;
}
