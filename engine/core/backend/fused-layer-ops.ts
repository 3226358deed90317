// LayerOps on fused kernels (the CUDA backend's, kernels/src): decode-sized inputs (<= 4 rows) take the decode kernels
// (RMSNorm folded into the q/k/v or gate/up GEMV, RoPE + KV write in one launch, residual adds in the GEMV epilogue:
// 5 launches per layer instead of ~25); prefill-sized inputs take the 16-bit prefill kernels (RMSNorm and the SwiGLU
// input written in the weight dtype, the residual add and the next RMSNorm in the o / down GEMM's epilogue, q/k/v as
// one GEMM + RoPE + KV write); the vision tower takes the fused linear + GELU / + residual GEMMs. A kernel returns
// null when it declines a shape; the op then runs as PrimitiveLayerOps does. Written against the kernel interfaces
// below (not the addon) so that the composition is checked on the CPU with kernels built from plain ops.
import type {
  Backend, Hidden, KvCache, Linear, QkNorm, QkvProjection, RmsNormWeights, RopePositions, SwiGluWeights, Tensor,
} from './backend.ts';
import { normQk, PrimitiveLayerOps } from './layer-ops.ts';

/** Decode-sized kernels. Each returns null when it declines the shapes / dtypes. */
export interface DecodeKernels {
  /** For each i: linear(rmsNorm(x, normW, eps), ws[i], bs[i]), in one pass over the weights. */
  normLinears(x: Tensor, normW: Tensor, eps: number, ws: readonly Tensor[], bs: readonly (Tensor | undefined)[]): Tensor[] | null;
  /** siluMul(linear(rmsNorm(x), gate), linear(rmsNorm(x), up)) in one pass over both weights. */
  normSwiGlu(x: Tensor, normW: Tensor, eps: number, gate: Tensor, up: Tensor): Tensor | null;
  /** add(res, linear(x, w)). */
  linearResidual(x: Tensor, w: Tensor, res: Tensor): Tensor | null;
  /** add(res, linear(siluMul(gate, up), w)). */
  siluMulLinearResidual(gate: Tensor, up: Tensor, w: Tensor, res: Tensor): Tensor | null;
  /** rope(q, heads) is returned; rope(k, kvHeads) and v are written with kvWrite(cache, layer, ·, ·, at). */
  ropeKvWrite(cache: KvCache, layer: number, q: Tensor, k: Tensor, v: Tensor, heads: number, rope: RopePositions,
    at: number): Tensor | null;
}

/** [q; k; v] weights and biases in one allocation each; `parts` are views of them. */
export interface FusedQkv {
  w: Tensor;
  b: Tensor;
  parts: { w: [Tensor, Tensor, Tensor]; b: [Tensor, Tensor, Tensor] };
}

/** Prefill-sized (16-bit) kernels. The optional steps are null when switched off (kernel configuration). */
export interface PrefillKernels {
  /** RMSNorm of f32 rows written in the 16-bit weight dtype (the input of the following GEMMs). */
  rmsNorm16(x: Tensor, w: Tensor, eps: number): Tensor;
  /** SiLU(x · gateᵀ) * (x · upᵀ), [rows, I] in the 16-bit weight dtype (feeds the down projection directly). */
  swiGlu16(x: Tensor, gate: Tensor, up: Tensor): Tensor;
  /** Load time: q/k/v concatenated on the device; null when the shapes do not allow it. The originals are freed. */
  fuseQkv: ((w: readonly [Tensor, Tensor, Tensor], b: readonly [Tensor, Tensor, Tensor]) => FusedQkv | null) | null;
  /** q/k/v in one GEMM over fused weights + bias + RoPE; k and v go straight into cache slots [at, at + T); returns q. */
  qkvRopeKv: ((x: Tensor, qkv: FusedQkv, cache: KvCache, layer: number, heads: number, rope: RopePositions,
    at: number) => Tensor) | null;
  /** [h, n]: h = residual + x · wᵀ (f32) and n = RMSNorm(h, normW) in the 16-bit dtype, in one GEMM epilogue. */
  linearAddNorm16: ((x: Tensor, w: Tensor, residual: Tensor, normW: Tensor, eps: number) => [Tensor, Tensor]) | null;
}

/** The vision tower's fused GEMMs and patch rearrangement; null when declined. */
export interface VisionKernels {
  linearGelu(x: Tensor, w: Tensor, b: Tensor | undefined, kind: 'tanh' | 'erf'): Tensor | null;
  linearAdd(x: Tensor, w: Tensor, b: Tensor | undefined, residual: Tensor): Tensor | null;
  /** pixels [frames·C·S, S] -> patch rows (see LayerOps.patchRows); null: rearranged on the host. */
  patchify: ((pixels: Tensor, frames: number, channels: number, size: number, patch: number) => Tensor) | null;
}

export interface FusedKernels {
  decode: DecodeKernels | null;
  prefill: PrefillKernels | null;
  vision: VisionKernels | null;
}

/** Rows up to which the decode kernels are used (and from which the prefill ones are not). */
export const DECODE_MAX_ROWS = 4;

export class FusedLayerOps extends PrimitiveLayerOps {
  private fusedQkv = new WeakMap<QkvProjection, FusedQkv>();

  constructor(be: Backend, private readonly k: FusedKernels) {
    super(be);
  }

  private decode(x: Tensor): DecodeKernels | null {
    return x.shape[0] <= DECODE_MAX_ROWS ? this.k.decode : null;
  }
  private prefill(x: Tensor): PrefillKernels | null {
    return x.shape[0] > DECODE_MAX_ROWS ? this.k.prefill : null;
  }

  override packQkv(q: Linear, k: Linear, v: Linear, qkNorm?: QkNorm): QkvProjection {
    const fuse = this.k.prefill?.fuseQkv;
    // The fused prefill kernel has no per-head norms between the GEMM and RoPE.
    if (!fuse || !q.b || !k.b || !v.b || qkNorm) return super.packQkv(q, k, v, qkNorm);
    const f = fuse([q.w, k.w, v.w], [q.b, k.b, v.b]);
    if (!f) return super.packQkv(q, k, v);
    const [qw, kw, vw] = f.parts.w, [qb, kb, vb] = f.parts.b;
    const out = super.packQkv({ w: qw, b: qb }, { w: kw, b: kb }, { w: vw, b: vb });
    this.fusedQkv.set(out, f);
    return out;
  }

  override attentionInput(x: Hidden, norm: RmsNormWeights, qkv: QkvProjection, heads: number, rope: RopePositions,
    cache: KvCache, layer: number, at: number): Tensor {
    const be = this.be;
    const dk = this.decode(x.h);
    if (dk) {
      const parts = dk.normLinears(x.h, norm.w, norm.eps, [qkv.q.w, qkv.k.w, qkv.v.w], [qkv.q.b, qkv.k.b, qkv.v.b]);
      if (parts) {
        const [q0, k0] = normQk(be, qkv.qkNorm, parts[0], parts[1]), v = parts[2];
        const q = dk.ropeKvWrite(cache, layer, q0, k0, v, heads, rope, at);
        be.dispose(q0); be.dispose(k0); be.dispose(v);
        if (q) {
          const stale = this.takeNormed(x, norm);
          if (stale) be.dispose(stale);
          return q;
        }
      }
    }
    const pk = this.prefill(x.h);
    if (!pk) return super.attentionInput(x, norm, qkv, heads, rope, cache, layer, at);
    const n = this.takeNormed(x, norm) ?? pk.rmsNorm16(x.h, norm.w, norm.eps);
    const fused = this.fusedQkv.get(qkv);
    const q = pk.qkvRopeKv && fused
      ? pk.qkvRopeKv(n, fused, cache, layer, heads, rope, at)
      : this.qkvRopeKv(n, qkv, heads, rope, cache, layer, at);
    be.dispose(n);
    return q;
  }

  override residualLinear(a: Tensor, o: Linear, residual: Tensor, next: RmsNormWeights | null): Hidden {
    const dk = this.decode(a);
    if (dk && !o.b) {
      const h = dk.linearResidual(a, o.w, residual);
      if (h) return { h, normed: null };
      return super.residualLinear(a, o, residual, next);
    }
    const pk = this.prefill(a);
    if (!pk) return super.residualLinear(a, o, residual, next);
    if (pk.linearAddNorm16 && next && !o.b) {
      const [h, t] = pk.linearAddNorm16(a, o.w, residual, next.w, next.eps);
      return { h, normed: { w: next.w, t } };
    }
    return { h: this.linearAdd(a, o, residual), normed: null };
  }

  override residualSwiGlu(x: Hidden, norm: RmsNormWeights, mlp: SwiGluWeights, next: RmsNormWeights | null): Hidden {
    const be = this.be;
    const dk = this.decode(x.h);
    if (dk && !mlp.gate.b && !mlp.up.b && !mlp.down.b) return this.decodeSwiGlu(dk, x, norm, mlp);
    const pk = this.prefill(x.h);
    if (!pk || mlp.gate.b || mlp.up.b) return super.residualSwiGlu(x, norm, mlp, next);
    const n = this.takeNormed(x, norm) ?? pk.rmsNorm16(x.h, norm.w, norm.eps);
    const act = pk.swiGlu16(n, mlp.gate.w, mlp.up.w);
    be.dispose(n);
    let out: Hidden;
    if (pk.linearAddNorm16 && next && !mlp.down.b) {
      const [h, t] = pk.linearAddNorm16(act, mlp.down.w, x.h, next.w, next.eps);
      out = { h, normed: { w: next.w, t } };
    } else {
      out = { h: this.linearAdd(act, mlp.down, x.h), normed: null };
    }
    be.dispose(act);
    return out;
  }

  private decodeSwiGlu(dk: DecodeKernels, x: Hidden, norm: RmsNormWeights, mlp: SwiGluWeights): Hidden {
    const be = this.be, h1 = x.h;
    const stale = this.takeNormed(x, norm);
    if (stale) be.dispose(stale);
    const act = dk.normSwiGlu(h1, norm.w, norm.eps, mlp.gate.w, mlp.up.w);
    if (act) {
      const h = dk.linearResidual(act, mlp.down.w, h1) ?? this.addLinear(h1, act, mlp.down);
      be.dispose(act);
      return { h, normed: null };
    }
    let gu = dk.normLinears(h1, norm.w, norm.eps, [mlp.gate.w, mlp.up.w], [undefined, undefined]);
    if (!gu) {
      const n = be.rmsNorm(h1, norm.w, norm.eps);
      gu = [be.linear(n, mlp.gate.w), be.linear(n, mlp.up.w)];
      be.dispose(n);
    }
    let h = dk.siluMulLinearResidual(gu[0], gu[1], mlp.down.w, h1);
    if (!h) {
      const s = be.siluMul(gu[0], gu[1]);
      h = this.addLinear(h1, s, mlp.down);
      be.dispose(s);
    }
    be.dispose(gu[0]); be.dispose(gu[1]);
    return { h, normed: null };
  }

  override linearGelu(x: Tensor, lin: Linear, kind: 'tanh' | 'erf'): Tensor {
    return this.k.vision?.linearGelu(x, lin.w, lin.b, kind) ?? super.linearGelu(x, lin, kind);
  }

  override linearAdd(x: Tensor, lin: Linear, residual: Tensor): Tensor {
    return this.k.vision?.linearAdd(x, lin.w, lin.b, residual) ?? super.linearAdd(x, lin, residual);
  }

  override patchRows(pixels: Float32Array, frames: number, channels: number, size: number, patch: number): Tensor {
    const patchify = this.k.vision?.patchify;
    if (!patchify) return super.patchRows(pixels, frames, channels, size, patch);
    const raw = this.be.fromHost(pixels, [frames * channels * size, size]);
    const out = patchify(raw, frames, channels, size, patch);
    this.be.dispose(raw);
    return out;
  }
}
