// gelu(x · wᵀ + b) and residual + x · wᵀ + b through the backend's fused ops when it has them, else op by op.
import type { Backend, Tensor } from '../backend/backend.ts';

export function linearGelu(be: Backend, x: Tensor, w: Tensor, b: Tensor | undefined, kind: 'tanh' | 'erf'): Tensor {
  if (be.linearGelu) return be.linearGelu(x, w, b, kind);
  const h = be.linear(x, w, b);
  const a = be.gelu(h, kind);
  be.dispose(h);
  return a;
}

export function linearAdd(be: Backend, x: Tensor, w: Tensor, b: Tensor | undefined, residual: Tensor): Tensor {
  if (be.linearAdd) return be.linearAdd(x, w, b, residual);
  const h = be.linear(x, w, b);
  const o = be.add(residual, h);
  be.dispose(h);
  return o;
}
