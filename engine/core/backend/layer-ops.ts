// The composite ops of backend.ts LayerOps built from a backend's primitives: what every backend runs unless it has
// fused kernels for them (the CUDA backend: fused-layer-ops.ts).
import type {
  Backend, Hidden, KvCache, LayerOps, Linear, QkNorm, QkvProjection, RmsNormWeights, RopePositions, SwiGluWeights, Tensor,
} from './backend.ts';

/** Rotate-half RoPE of x [T, heads·d] by either form of RopePositions. */
export function applyRope(be: Backend, x: Tensor, heads: number, rope: RopePositions): Tensor {
  return 'angles' in rope ? be.ropeAngles(x, heads, rope.angles) : be.rope(x, heads, rope.positions, rope.invFreq);
}

/** q and k after their per-head norms (qkv.qkNorm), or as given without them; inputs replaced are freed. */
export function normQk(be: Backend, qkNorm: QkNorm | undefined, q: Tensor, k: Tensor): [Tensor, Tensor] {
  if (!qkNorm) return [q, k];
  const qn = be.rmsNorm(q, qkNorm.q.w, qkNorm.q.eps), kn = be.rmsNorm(k, qkNorm.k.w, qkNorm.k.eps);
  be.dispose(q); be.dispose(k);
  return [qn, kn];
}

export class PrimitiveLayerOps implements LayerOps {
  constructor(protected readonly be: Backend) {}

  packQkv(q: Linear, k: Linear, v: Linear, qkNorm?: QkNorm): QkvProjection {
    return qkNorm ? { q, k, v, qkNorm } : { q, k, v };
  }

  attentionInput(x: Hidden, norm: RmsNormWeights, qkv: QkvProjection, heads: number, rope: RopePositions, cache: KvCache,
    layer: number, at: number): Tensor {
    const n = this.takeNormed(x, norm) ?? this.be.rmsNorm(x.h, norm.w, norm.eps);
    const q = this.qkvRopeKv(n, qkv, heads, rope, cache, layer, at);
    this.be.dispose(n);
    return q;
  }

  residualLinear(a: Tensor, o: Linear, residual: Tensor, _next: RmsNormWeights | null): Hidden {
    return { h: this.addLinear(residual, a, o), normed: null };
  }

  residualSwiGlu(x: Hidden, norm: RmsNormWeights, mlp: SwiGluWeights, _next: RmsNormWeights | null): Hidden {
    const be = this.be;
    const n = this.takeNormed(x, norm) ?? be.rmsNorm(x.h, norm.w, norm.eps);
    const g = be.linear(n, mlp.gate.w, mlp.gate.b), u = be.linear(n, mlp.up.w, mlp.up.b);
    be.dispose(n);
    const gu = be.siluMul(g, u);
    be.dispose(g); be.dispose(u);
    const h = this.addLinear(x.h, gu, mlp.down);
    be.dispose(gu);
    return { h, normed: null };
  }

  linearGelu(x: Tensor, lin: Linear, kind: 'tanh' | 'erf'): Tensor {
    const h = this.be.linear(x, lin.w, lin.b);
    const a = this.be.gelu(h, kind);
    this.be.dispose(h);
    return a;
  }

  linearAdd(x: Tensor, lin: Linear, residual: Tensor): Tensor {
    return this.addLinear(residual, x, lin);
  }

  patchRows(pixels: Float32Array, frames: number, channels: number, size: number, patch: number): Tensor {
    const g = Math.floor(size / patch);
    return this.be.fromHost(patchifyHost(pixels, frames, channels, size, patch), [frames * g * g, channels * patch * patch]);
  }

  /** x.normed when it is RMSNorm(x.h) with `norm` (then it is the caller's to free); a stale one is freed. */
  protected takeNormed(x: Hidden, norm: RmsNormWeights): Tensor | null {
    if (!x.normed) return null;
    if (x.normed.w === norm.w) return x.normed.t;
    this.be.dispose(x.normed.t);
    return null;
  }

  /** q/k/v projections, RoPE and the K/V cache write as separate ops; returns q (RoPE applied). */
  protected qkvRopeKv(n: Tensor, qkv: QkvProjection, heads: number, rope: RopePositions, cache: KvCache, layer: number,
    at: number): Tensor {
    const be = this.be;
    const [q0, k0] = normQk(be, qkv.qkNorm, be.linear(n, qkv.q.w, qkv.q.b), be.linear(n, qkv.k.w, qkv.k.b));
    const v = be.linear(n, qkv.v.w, qkv.v.b);
    const q = applyRope(be, q0, heads, rope);
    const k = applyRope(be, k0, cache.kvHeads, rope);
    be.dispose(q0); be.dispose(k0);
    be.kvWrite(cache, layer, k, v, at);
    be.dispose(k); be.dispose(v);
    return q;
  }

  /** residual + x · wᵀ (+ b) with the intermediate freed. */
  protected addLinear(residual: Tensor, x: Tensor, lin: Linear): Tensor {
    const y = this.be.linear(x, lin.w, lin.b);
    const out = this.be.add(residual, y);
    this.be.dispose(y);
    return out;
  }
}

/** Frames' pixels [n, C, S, S] -> patch rows [n·(S/p)², C·p·p] in the conv weight's (c, ky, kx) order. */
export function patchifyHost(px: Float32Array, frames: number, C: number, S: number, p: number): Float32Array {
  const g = Math.floor(S / p);
  const row = C * p * p;
  const out = new Float32Array(frames * g * g * row);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < C; c++) {
      for (let py = 0; py < g; py++) {
        for (let ky = 0; ky < p; ky++) {
          let src = ((f * C + c) * S + py * p + ky) * S;
          let o = (f * g + py) * g * row + (c * p + ky) * p;
          for (let pxi = 0; pxi < g; pxi++, o += row) for (let kx = 0; kx < p; kx++) out[o + kx] = px[src++];
        }
      }
    }
  }
  return out;
}
