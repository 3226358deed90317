// x · wᵀ on a backend (the quantizer's only heavy arithmetic: the backend's GEMM instead of JS loops).
import type { Backend, Tensor } from '../backend/backend.ts';
import type { Matrix } from './group-quant.ts';

/** Calibration inputs of one linear group: `rows` rows of `in` features, uploaded once. */
export interface Activations {
  data: Float32Array;
  rows: number;
  in: number;
}

export class HostMatmul {
  private x: Tensor | null = null;

  constructor(private readonly be: Backend, readonly acts: Activations) {}

  /** x · wᵀ as float32 [rows, w.out]. */
  times(w: Matrix): Float32Array {
    const be = this.be;
    if (w.in !== this.acts.in) throw new Error(`matmul: weight has ${w.in} input features, activations ${this.acts.in}`);
    this.x ??= be.fromHost(this.acts.data, [this.acts.rows, this.acts.in]);
    const wt = be.weight({ dtype: 'f32', shape: [w.out, w.in], bytes: new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength) });
    const y = be.linear(this.x, wt);
    be.dispose(wt);
    // A copy: the CPU backend hands out its tensor's own array.
    const host = be.toHost(y).slice();
    be.dispose(y);
    return host;
  }

  dispose(): void {
    if (this.x) this.be.dispose(this.x);
    this.x = null;
  }
}

/** Sum of squared differences. */
export function sqDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; }
  return s;
}

export function sqNorm(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}
