// Patch saliency from the vision tower's self-attention (SigLIP: no summary token, so the mean attention each patch
// receives from all patches), taken at the encoder layer whose output feeds the projector.
import type { Backend, Tensor } from '../backend/backend.ts';

/** Collects per-frame patch saliency from the q, k the vision tower hands its hook. */
export class PatchSaliencyCollector {
  private readonly parts: Float32Array[] = [];
  private rows = 0;

  constructor(private readonly backend: Backend, readonly layer: number, private readonly heads: number,
    private readonly headDim: number, private readonly patchesPerFrame: number) {}

  /** q, k [n*patchesPerFrame, heads*headDim] of n whole frames (any n >= 1). */
  add(q: Tensor, k: Tensor): void {
    const rows = q.shape[0];
    if (k.shape[0] !== rows || rows % this.patchesPerFrame !== 0) {
      throw new Error(`saliency: q/k rows ${rows}/${k.shape[0]} are not whole frames of ${this.patchesPerFrame} patches`);
    }
    const scale = 1 / Math.sqrt(this.headDim);
    for (let r = 0; r < rows; r += this.patchesPerFrame) {
      const whole = rows === this.patchesPerFrame;
      const qf = whole ? q : this.backend.sliceRows(q, r, r + this.patchesPerFrame);
      const kf = whole ? k : this.backend.sliceRows(k, r, r + this.patchesPerFrame);
      this.parts.push(this.backend.attentionColumnMean(qf, kf, this.heads, scale));
      if (!whole) {
        this.backend.dispose(qf);
        this.backend.dispose(kf);
      }
    }
    this.rows += rows;
  }

  get frames(): number {
    return this.rows / this.patchesPerFrame;
  }

  /** [frames * patchesPerFrame], frame-major. */
  result(): Float32Array {
    const out = new Float32Array(this.rows);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
