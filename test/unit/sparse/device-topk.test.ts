// Per-layer retrieval top-k through Backend.kvScoresTopK (the CUDA backend ranks on the device): the controller must
// choose exactly what the JS path chooses, fall back when it cannot use the op, and deviceTopK must hand the addon's
// rows, candidates and k through and free every row.
import { describe, expect, it } from 'vitest';
import type { AttentionOptions, KvCache, KvTopK, Tensor } from '../../../engine/core/backend/backend.ts';
import type { KernelsAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { deviceTopK, type DeviceScoreRow } from '../../../engine/core/backend/cuda/device-topk.ts';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { SparseKvController } from '../../../engine/core/sparse/controller.ts';
import { planPrefix, type VideoSpan } from '../../../engine/core/sparse/layout.ts';
import { PrefixKv } from '../../../engine/core/sparse/prefix-kv.ts';
import { resolvePolicy } from '../../../engine/core/sparse/policy.ts';
import { topKAscending } from '../../../engine/core/sparse/select.ts';
import { randomFloats } from './naive.ts';

/** CPU backend with a JS stand-in for the device top-k over its deferred scores (same contract as the CUDA op). */
class RankingCpu extends CpuBackend {
  topkCalls = 0;
  private rows = new WeakMap<() => Float32Array, Float32Array>();
  override kvScoresDeferred(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): () => Float32Array {
    const s = this.kvScores(cache, layer, q, heads, kvLen, candidates, opts);
    const get = () => s;
    this.rows.set(get, s);
    return get;
  }
  override kvScoresTopK(rows: readonly (() => Float32Array)[], k: number): KvTopK | null {
    this.topkCalls++;
    const ss = rows.map((f) => this.rows.get(f));
    if (ss.some((s) => !s)) return null;
    const positions = ss.map((s) => topKAscending(s!, k));
    const total = Float64Array.from(ss, (s) => s!.reduce((a, b) => a + b, 0));
    const kept = Float64Array.from(positions, (p, r) => p.reduce((a, i) => a + ss[r]![i], 0));
    return { positions, total, kept };
  }
}

const dims = { layers: 3, heads: 4, kvHeads: 2, headDim: 8 };
const span: VideoSpan = { start: 3, frames: 3, gridH: 3, gridW: 4, extra: 1 };  // 36 visual tokens
const PREFIX = 3 + 36 + 1 + 2;
const kvw = dims.kvHeads * dims.headDim, qw = dims.heads * dims.headDim;

/** One turn on a random cache; `chunks` splits the 4-row question prefill. Returns what the controller chose. */
function turn(backend: CpuBackend, sparsity: number, seed: number, chunks: number, ties = false) {
  const cache = backend.createKvCache(dims.layers, dims.kvHeads, dims.headDim, 64);
  for (let l = 0; l < dims.layers; l++) {
    const k = randomFloats(PREFIX * kvw, seed + l, 0.5);
    if (ties) for (let i = 0; i < PREFIX; i++) if (i % 3) k.set(k.subarray(0, kvw), i * kvw);  // many equal keys
    backend.kvWrite(cache, l, backend.fromHost(k, [PREFIX, kvw]), backend.fromHost(randomFloats(PREFIX * kvw, seed + 50 + l), [PREFIX, kvw]), 0);
  }
  cache.length = PREFIX;
  const policy = resolvePolicy({ policy: 'sparsevila', prefillSparsity: 0, decodeSparsity: sparsity, perFrameFloor: 0, history: 'none', retrieval: { mode: 'per-layer' } });
  const ctl = new SparseKvController(backend, new PrefixKv(backend, cache, planPrefix(PREFIX, span, Int32Array.from({ length: 36 }, (_, i) => i))), policy, dims);
  const { at } = ctl.beginTurn();
  const rows = 4, per = rows / chunks;
  for (let c = 0; c < chunks; c++) {
    const from = at + c * per;
    for (let l = 0; l < dims.layers; l++) {
      const k = randomFloats(per * kvw, seed + 100 + 10 * c + l);
      backend.kvWrite(cache, l, backend.fromHost(k, [per, kvw]), backend.fromHost(k, [per, kvw]), from);
      const q = backend.fromHost(randomFloats(per * qw, seed + 200 + 10 * c + l, 2), [per, qw]);
      ctl.onQuestionQuery(l, q, from + per, from);
    }
  }
  cache.length = at + rows;
  ctl.finishQuestion(cache.length);
  const r = ctl.turnRetrieval();
  return {
    ids: r.retrievedByLayer!.map((x) => Array.from(x)),
    mass: r.massShareByLayer!,
    slots: Array.from({ length: dims.layers }, (_, l) => (s => s && Array.from(s))(ctl.slotsFor(l, cache.length + 1))),
  };
}

describe('retrieval top-k through Backend.kvScoresTopK', () => {
  it('chooses exactly what the JS path chooses (random scores, heavy ties, k = 0 .. all)', () => {
    for (const [sparsity, ties] of [[0.9, false], [0.5, true], [0.99, false], [0, false], [0.3, true]] as const) {
      for (const seed of [1, 7]) {
        const dev = new RankingCpu({ threads: 1 });
        const a = turn(dev, sparsity, seed, 1, ties);
        const b = turn(new CpuBackend({ threads: 1 }), sparsity, seed, 1, ties);
        expect(dev.topkCalls).toBe(1);
        expect(a.ids).toEqual(b.ids);
        expect(a.slots).toEqual(b.slots);
        a.mass.forEach((m, l) => expect(m).toBeCloseTo(b.mass[l], 12));
      }
    }
  });

  it('falls back to the JS path for a chunked question prefill (the mean is not one row)', () => {
    const dev = new RankingCpu({ threads: 1 });
    const a = turn(dev, 0.75, 3, 2);
    expect(dev.topkCalls).toBe(0);
    expect(a.ids).toEqual(turn(new CpuBackend({ threads: 1 }), 0.75, 3, 2).ids);
  });

  it('falls back when the op declines the rows', () => {
    const dev = new RankingCpu({ threads: 1 });
    dev.kvScoresTopK = () => { dev.topkCalls++; return null; };
    const a = turn(dev, 0.75, 4, 1);
    expect(dev.topkCalls).toBe(1);
    expect(a.ids).toEqual(turn(new CpuBackend({ threads: 1 }), 0.75, 4, 1).ids);
  });
});

describe('deviceTopK (CUDA backend side, fake addon)', () => {
  function fakeAddon(mem: Map<number, Float32Array | Int32Array | Float64Array>) {
    let next = 1000;
    const calls: unknown[][] = [];
    const addon = {
      alloc: (bytes: number) => { const p = next; next += bytes + 16; mem.set(p, new Float64Array(Math.ceil(bytes / 8))); return p; },
      free: (p: number) => { mem.delete(p); },
      download: (p: number, into: ArrayBufferView) => {
        const src = mem.get(p)!;
        new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(new Uint8Array(src.buffer, 0, into.byteLength));
      },
      topkRows: (outIdx: number, outMass: number, rows: Float64Array, n: number, cand: Int32Array | null, k: number) => {
        calls.push([Array.from(rows), n, k]);
        const idx = new Int32Array(mem.get(outIdx)!.buffer), mass = new Float64Array(mem.get(outMass)!.buffer);
        rows.forEach((p, r) => {
          const all = mem.get(p) as Float32Array, s = Float32Array.from({ length: n }, (_, i) => all[cand ? cand[i] : i]);
          const pos = topKAscending(s, k);
          idx.set(pos, r * k);
          mass[2 * r] = s.reduce((a, b) => a + b, 0);
          mass[2 * r + 1] = Array.from(pos).reduce((a, i) => a + s[i], 0);
        });
      },
    } as unknown as KernelsAddon;
    return { addon, calls };
  }

  it('ranks every row at the candidates, returns positions and mass, frees the rows and its buffers', () => {
    const mem = new Map<number, Float32Array | Int32Array | Float64Array>();
    const { addon, calls } = fakeAddon(mem);
    const cand = Int32Array.from([0, 2, 3, 5, 6]);
    const freed: number[] = [];
    const rows: DeviceScoreRow[] = [[5, 9, 1, 1, 0, 1, 1], [0, 0, 3, 0, 0, 0, 0]].map((v, r) => {
      mem.set(10 + r, Float32Array.from(v));
      return { ptr: 10 + r, candidates: cand, live: true, free: () => freed.push(10 + r) };
    });
    const res = deviceTopK(addon, rows, 2);
    expect(calls).toEqual([[[10, 11], 5, 2]]);
    expect(res.positions.map((p) => Array.from(p))).toEqual([[0, 1], [0, 1]]);  // row 0: 5, then the first of the 1s
    expect(Array.from(res.total)).toEqual([9, 3]);
    expect(Array.from(res.kept)).toEqual([6, 3]);
    expect(freed).toEqual([10, 11]);
    expect(rows.every((r) => !r.live)).toBe(true);
    expect([...mem.keys()].sort()).toEqual([10, 11]);  // its own idx / mass buffers are freed
    expect(() => deviceTopK(addon, rows, 2)).toThrow(/live/);
  });

  it('rejects k outside [0, n]', () => {
    const { addon } = fakeAddon(new Map());
    const row: DeviceScoreRow = { ptr: 1, candidates: new Int32Array(3), live: true, free: () => {} };
    expect(() => deviceTopK(addon, [row], 4)).toThrow(/outside/);
  });
});
