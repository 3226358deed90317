// The fused decode path (engine/core/backend/fused-layer-ops.ts FusedLayerOps on DecodeKernels) against the plain
// LayerOps: a CPU backend whose decode kernels are each built from the plain ops they replace must give bit-identical
// Qwen2 decode outputs, call the hooks the same way, dispose every intermediate exactly once, and fall back cleanly
// (op by op) when a kernel declines.
import { describe, expect, it } from 'vitest';
import type { Backend, KvCache, Tensor } from '../../../engine/core/backend/backend.ts';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { FusedLayerOps, type DecodeKernels } from '../../../engine/core/backend/fused-layer-ops.ts';
import { applyRope, PrimitiveLayerOps } from '../../../engine/core/backend/layer-ops.ts';
import { parseConfig } from '../../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../../engine/core/models/presets.ts';
import { Qwen2 } from '../../../engine/core/models/qwen2.ts';
import { SyntheticWeights } from '../../../engine/core/models/synthetic.ts';

const cfg = parseConfig(presetConfig('tiny'));

/** The CPU backend plus live-tensor bookkeeping (double or unknown dispose throws) and optional fused ops. */
function tracked(fused: 'none' | 'all' | 'decline-rope' | 'decline-mlp') {
  const cpu = new CpuBackend({ threads: 1 });
  const live = new Set<Tensor>();
  const calls: string[] = [];
  const track = <T>(v: T): T => { if (v && typeof v === 'object' && 'shape' in (v as object)) live.add(v as unknown as Tensor); return v; };
  const be = new Proxy(cpu, {
    get(target, prop, recv) {
      if (prop === 'dispose') return (x: Tensor) => { if (!live.delete(x)) throw new Error('dispose of a dead or unknown tensor'); };
      if (prop === 'layerOps') return layerOps;
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== 'function' || prop === 'weight') return v;
      return (...args: unknown[]) => track(v.apply(target, args));
    },
  }) as Backend;
  const fx: DecodeKernels = {
    normLinears(x, w, eps, ws, bs) {
      if (fused === 'decline-mlp' && ws.length === 2) return null;
      calls.push(`normLinears${ws.length}`);
      const n = be.rmsNorm(x, w, eps);
      const out = ws.map((wi, i) => be.linear(n, wi, bs[i]));
      be.dispose(n);
      return out;
    },
    normSwiGlu(x, w, eps, gate, up) {
      if (fused !== 'all') return null;
      calls.push('normSwiGlu');
      const n = be.rmsNorm(x, w, eps), g = be.linear(n, gate), u = be.linear(n, up), out = be.siluMul(g, u);
      be.dispose(n); be.dispose(g); be.dispose(u);
      return out;
    },
    linearResidual(x, w, res) {
      calls.push('linearResidual');
      const y = be.linear(x, w), out = be.add(res, y);
      be.dispose(y);
      return out;
    },
    siluMulLinearResidual(g, u, w, res) {
      if (fused === 'decline-mlp') return null;
      calls.push('siluMulLinearResidual');
      const s = be.siluMul(g, u), y = be.linear(s, w), out = be.add(res, y);
      be.dispose(s); be.dispose(y);
      return out;
    },
    ropeKvWrite(cache: KvCache, layer, q, k, v, heads, rope, at) {
      if (fused === 'decline-rope') return null;
      calls.push('ropeKvWrite');
      const qr = applyRope(be, q, heads, rope), kr = applyRope(be, k, cfg.text.kvHeads, rope);
      be.kvWrite(cache, layer, kr, v, at);
      be.dispose(kr);
      return qr;
    },
  };
  const layerOps = fused === 'none' ? new PrimitiveLayerOps(be) : new FusedLayerOps(be, { decode: fx, prefill: null, vision: null });
  return { be, live, calls };
}

function run(mode: Parameters<typeof tracked>[0]) {
  const { be, live, calls } = tracked(mode);
  const llm = Qwen2.load(be, new SyntheticWeights(cfg, 5), cfg.text);
  const cache = llm.createCache(32);
  const ids = Int32Array.from({ length: 9 }, (_, i) => 7 + 13 * i);
  const x = llm.embed(ids);
  const h0 = llm.forward(x, cache, { positions: Int32Array.from(ids.keys()), at: 0, lastOnly: true });
  be.dispose(x); be.dispose(h0);
  const queries: number[] = [], outs: Float32Array[] = [];
  for (let s = 0; s < 3; s++) {
    const at = 9 + s, e = llm.embed(Int32Array.of(100 + s));
    const slots = Int32Array.from([0, 2, 4, 5, ...Array.from({ length: s + 4 }, (_, i) => 6 + i)]).filter((v) => v <= at);
    const h = llm.forward(e, cache, {
      positions: Int32Array.of(at + 3), at,
      hooks: { onQuery: (layer, q, kvLen) => { queries.push(layer, kvLen, q.shape[0]); }, slots: () => slots },
    });
    be.dispose(e);
    outs.push(Float32Array.from(be.toHost(h)));
    be.dispose(h);
  }
  return { outs, queries, calls, live: live.size };
}

describe('Qwen2 fused decode path', () => {
  const plain = run('none');
  it('plain path leaks nothing', () => expect(plain.live).toBe(0));
  for (const mode of ['all', 'decline-rope', 'decline-mlp'] as const) {
    it(`fused ops (${mode}) give identical outputs, hooks and no leaks`, () => {
      const f = run(mode);
      expect(f.live).toBe(0);
      expect(f.queries).toEqual(plain.queries);
      f.outs.forEach((o, i) => expect(Array.from(o)).toEqual(Array.from(plain.outs[i])));
      const L = cfg.text.layers * 3;  // decode steps x layers
      if (mode === 'all') {
        expect(f.calls.filter((c) => c === 'ropeKvWrite')).toHaveLength(L);
        expect(f.calls.filter((c) => c === 'normSwiGlu')).toHaveLength(L);
        expect(f.calls.filter((c) => c === 'linearResidual')).toHaveLength(2 * L);
      }
      if (mode === 'decline-rope') {
        // q/k/v ran as plain ops after the declined RoPE + KV write; the o projection and the MLP stay fused.
        expect(f.calls.filter((c) => c === 'normLinears3')).toHaveLength(L);
        expect(f.calls.some((c) => c === 'ropeKvWrite')).toBe(false);
        expect(f.calls.filter((c) => c === 'normSwiGlu')).toHaveLength(0);
        expect(f.calls.filter((c) => c === 'linearResidual')).toHaveLength(L);
        expect(f.calls.filter((c) => c === 'siluMulLinearResidual')).toHaveLength(L);
      }
      if (mode === 'decline-mlp') expect(f.calls.filter((c) => c === 'linearResidual')).toHaveLength(L);
    });
  }
});
