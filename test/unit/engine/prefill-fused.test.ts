// The fused prefill path (engine/core/backend/fused-layer-ops.ts FusedLayerOps on PrefillKernels: 16-bit norm and
// SwiGLU input, q/k/v fused at load + RoPE + KV write in one op, the RMSNorm in the o / down projection's epilogue): a
// CPU backend whose prefill kernels are each built from the plain ops they replace must give bit-identical Qwen2
// prefill outputs and KV cache (checked through later decode steps), call the hooks the same way, call each fused
// kernel once per layer, and dispose every intermediate once.
import { describe, expect, it } from 'vitest';
import type { Backend, KvCache, Tensor } from '../../../engine/core/backend/backend.ts';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { FusedLayerOps, type FusedQkv, type PrefillKernels } from '../../../engine/core/backend/fused-layer-ops.ts';
import { applyRope, PrimitiveLayerOps } from '../../../engine/core/backend/layer-ops.ts';
import { parseConfig } from '../../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../../engine/core/models/presets.ts';
import { Qwen2 } from '../../../engine/core/models/qwen2.ts';
import { SyntheticWeights } from '../../../engine/core/models/synthetic.ts';

const cfg = parseConfig(presetConfig('tiny'));
type Mode = 'none' | 'base' | 'qkv' | 'resnorm' | 'both';

function tracked(mode: Mode) {
  const cpu = new CpuBackend({ threads: 1 });
  const live = new Set<Tensor>();
  const calls: string[] = [];
  const track = <T>(v: T): T => {
    if (Array.isArray(v)) v.forEach((t) => live.add(t as Tensor));
    else if (v && typeof v === 'object' && 'shape' in (v as object)) live.add(v as unknown as Tensor);
    return v;
  };
  const linearAdd = (x: Tensor, w: Tensor, res: Tensor) => {
    const y = be.linear(x, w), out = be.add(res, y);
    be.dispose(y);
    return out;
  };
  const be = new Proxy(cpu, {
    get(target, prop, recv) {
      if (prop === 'dispose') return (x: Tensor) => { if (!live.delete(x)) throw new Error('dispose of a dead or unknown tensor'); };
      if (prop === 'layerOps') return layerOps;
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== 'function' || prop === 'weight') return v;
      return (...args: unknown[]) => track(v.apply(target, args));
    },
  }) as Backend;
  const ops: PrefillKernels = {
    rmsNorm16: (x, w, eps) => be.rmsNorm(x, w, eps),
    swiGlu16(x, gate, up) {
      const g = be.linear(x, gate), u = be.linear(x, up), out = be.siluMul(g, u);
      be.dispose(g); be.dispose(u);
      return out;
    },
    fuseQkv: null, qkvRopeKv: null, linearAddNorm16: null,
  };
  if (mode === 'qkv' || mode === 'both') {
    ops.fuseQkv = (w, b) => {
      calls.push('fuseQkv');
      return { w: w[0], b: b[0], parts: { w: [w[0], w[1], w[2]], b: [b[0], b[1], b[2]] } };
    };
    ops.qkvRopeKv = (x, qkv: FusedQkv, cache: KvCache, layer, heads, rope, at) => {
      calls.push('qkvRopeKv');
      const [qw, kw, vw] = qkv.parts.w, [qb, kb, vb] = qkv.parts.b;
      const q0 = be.linear(x, qw, qb), k0 = be.linear(x, kw, kb), v = be.linear(x, vw, vb);
      const q = applyRope(be, q0, heads, rope), k = applyRope(be, k0, cfg.text.kvHeads, rope);
      be.kvWrite(cache, layer, k, v, at);
      for (const t of [q0, k0, v, k]) be.dispose(t);
      return q;
    };
  }
  if (mode === 'resnorm' || mode === 'both') {
    ops.linearAddNorm16 = (x, w, res, normW, eps) => {
      calls.push('linearAddNorm16');
      const h = linearAdd(x, w, res);
      return [h, be.rmsNorm(h, normW, eps)];
    };
  }
  const layerOps = mode === 'none' ? new PrimitiveLayerOps(be) : new FusedLayerOps(be, { decode: null, prefill: ops, vision: null });
  return { be, live, calls };
}

function run(mode: Mode) {
  const { be, live, calls } = tracked(mode);
  const llm = Qwen2.load(be, new SyntheticWeights(cfg, 5), cfg.text);
  const cache = llm.createCache(32);
  const ids = Int32Array.from({ length: 9 }, (_, i) => 7 + 13 * i);
  const x = llm.embed(ids);
  const queries: number[] = [], outs: Float32Array[] = [];
  const onQuery = (layer: number, q: Tensor, kvLen: number) => { queries.push(layer, kvLen, q.shape[0]); };
  const h0 = llm.forward(x, cache, { positions: Int32Array.from(ids.keys(), (i) => 2 * i), at: 0, hooks: { onQuery } });
  outs.push(Float32Array.from(be.toHost(h0)));
  be.dispose(x); be.dispose(h0);
  for (let s = 0; s < 2; s++) {
    const at = 9 + s, e = llm.embed(Int32Array.of(100 + s));
    const h = llm.forward(e, cache, { positions: Int32Array.of(20 + s), at, hooks: { onQuery } });
    be.dispose(e);
    outs.push(Float32Array.from(be.toHost(h)));
    be.dispose(h);
  }
  return { outs, queries, calls, live: live.size };
}

describe('Qwen2 prefill with fused q/k/v and residual + norm ops', () => {
  const plain = run('none');
  const base = run('base');
  it('plain and 16-bit-op paths agree and leak nothing', () => {
    expect(plain.live).toBe(0);
    expect(base.live).toBe(0);
    base.outs.forEach((o, i) => expect(Array.from(o)).toEqual(Array.from(plain.outs[i])));
  });
  for (const mode of ['qkv', 'resnorm', 'both'] as const) {
    it(`${mode}: identical outputs and KV cache, same hooks, one fused op per layer, no leaks`, () => {
      const f = run(mode);
      expect(f.live).toBe(0);
      expect(f.queries).toEqual(plain.queries);
      f.outs.forEach((o, i) => expect(Array.from(o)).toEqual(Array.from(plain.outs[i])));
      const n = cfg.text.layers;
      const count = (c: string) => f.calls.filter((x) => x === c).length;
      expect(count('fuseQkv')).toBe(mode === 'resnorm' ? 0 : n);
      expect(count('qkvRopeKv')).toBe(mode === 'resnorm' ? 0 : n);  // prefill only (decode rows are <= 4)
      // o projection in every layer, down projection in all but the last (its norm is the final f32 norm).
      expect(count('linearAddNorm16')).toBe(mode === 'qkv' ? 0 : 2 * n - 1);
    });
  }
});
