// Planted retrieval tests on hand-built KV caches (CPU backend): a few visual keys align with the question, and the
// controller must find them; across two turns, permanent query pruning loses what the second question needs.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import type { KvCache } from '../../../engine/core/backend/backend.ts';
import { SparseKvController } from '../../../engine/core/sparse/controller.ts';
import { planPrefix, type VideoSpan } from '../../../engine/core/sparse/layout.ts';
import { PrefixKv } from '../../../engine/core/sparse/prefix-kv.ts';
import { resolvePolicy, type SparseSettings } from '../../../engine/core/sparse/policy.ts';
import { randomFloats } from './naive.ts';

const backend = new CpuBackend({ threads: 1 });
const dims = { layers: 2, heads: 4, kvHeads: 2, headDim: 8 };
// 4 text rows, 2 frames of a 2x3 grid (12 visual tokens), image_newline, 2 text rows
const span: VideoSpan = { start: 4, frames: 2, gridH: 2, gridW: 3, extra: 1 };
const PREFIX = 4 + 12 + 1 + 2;
const kvw = dims.kvHeads * dims.headDim;
const qw = dims.heads * dims.headDim;

/** A unit direction in head-dim space, repeated for every head. */
function direction(axis: number, width: number, amp: number): Float32Array {
  const v = new Float32Array(width);
  for (let h = 0; h < width / dims.headDim; h++) v[h * dims.headDim + axis] = amp;
  return v;
}

function filledCache(planted: Map<number, number>): KvCache {
  const cache = backend.createKvCache(dims.layers, dims.kvHeads, dims.headDim, 64);
  for (let l = 0; l < dims.layers; l++) {
    const k = randomFloats(PREFIX * kvw, 10 + l, 0.1);
    const v = randomFloats(PREFIX * kvw, 20 + l, 1);
    for (const [visualId, axis] of planted) k.set(direction(axis, kvw, 3), (span.start + visualId) * kvw);
    backend.kvWrite(cache, l, backend.fromHost(k, [PREFIX, kvw]), backend.fromHost(v, [PREFIX, kvw]), 0);
  }
  cache.length = PREFIX;
  return cache;
}

/** Prefill a 3-token question whose queries all point along `axis`; returns the slots in use afterwards. */
function askQuestion(ctl: SparseKvController, cache: KvCache, axis: number, seed: number): number {
  const { at } = ctl.beginTurn();
  const rows = 3;
  const q = new Float32Array(rows * qw);
  for (let i = 0; i < rows; i++) q.set(direction(axis, qw, 3), i * qw);
  for (let l = 0; l < dims.layers; l++) {
    const k = randomFloats(rows * kvw, seed + l, 0.1);
    backend.kvWrite(cache, l, backend.fromHost(k, [rows, kvw]), backend.fromHost(k, [rows, kvw]), at);
    ctl.onQuestionQuery(l, backend.fromHost(q, [rows, qw]), at + rows, at);
  }
  cache.length = at + rows;
  ctl.finishQuestion(cache.length);
  return cache.length;
}

function controller(cache: KvCache, s: Partial<SparseSettings>): { ctl: SparseKvController; kv: PrefixKv } {
  const all = Int32Array.from({ length: 12 }, (_, i) => i);
  const policy = resolvePolicy({ policy: 'sparsevila', prefillSparsity: 0, decodeSparsity: 0, perFrameFloor: 0, history: 'none', ...s });
  const kv = new PrefixKv(backend, cache, planPrefix(PREFIX, span, all));
  return { ctl: new SparseKvController(backend, kv, policy, dims), kv };
}

describe('decode retrieval (planted)', () => {
  it('finds the visual keys aligned with the question in every layer', () => {
    const cache = filledCache(new Map([[3, 0], [9, 0]]));
    const { ctl, kv } = controller(cache, { decodeSparsity: 10 / 12 }); // keep round(2) of 12
    const kvLen = askQuestion(ctl, cache, 0, 100);
    const r = ctl.turnRetrieval();
    expect(r.retrievedByLayer).not.toBeNull();
    for (const ids of r.retrievedByLayer!) expect(Array.from(ids)).toEqual([3, 9]);
    for (const m of r.massShareByLayer!) expect(m).toBeGreaterThan(0.8);
    // decode reads: text + newline slots, the two retrieved visual slots, and everything after the prefix
    const slots = Array.from(ctl.slotsFor(0, kvLen + 1)!);
    expect(slots).toEqual([0, 1, 2, 3, 4 + 3, 4 + 9, 16, 17, 18, 19, 20, 21, 22]);
  });

  it('decode attention ignores visual tokens outside the retrieved set', () => {
    const cache = filledCache(new Map([[3, 0], [9, 0]]));
    const { ctl, kv } = controller(cache, { decodeSparsity: 10 / 12 });
    const kvLen = askQuestion(ctl, cache, 0, 100);
    const q = backend.fromHost(randomFloats(qw, 5), [1, qw]);
    const run = () => backend.toHost(backend.kvAttention(cache, 1, q, dims.heads, kvLen, {
      scale: 1 / Math.sqrt(dims.headDim), causalBase: kvLen - 1, slots: ctl.slotsFor(1, kvLen),
    }));
    const before = run();
    // Overwrite an unretrieved visual token's K and V with huge values: a sparse read must not notice.
    const big = new Float32Array(kvw).fill(50);
    backend.kvWrite(cache, 1, backend.fromHost(big, [1, kvw]), backend.fromHost(big, [1, kvw]), span.start + 5);
    expect(Array.from(run())).toEqual(Array.from(before));
    // ...whereas dense attention does.
    const dense = backend.toHost(backend.kvAttention(cache, 1, q, dims.heads, kvLen, { scale: 1 / Math.sqrt(dims.headDim), causalBase: kvLen - 1 }));
    expect(Math.max(...dense.map((x, i) => Math.abs(x - before[i])))).toBeGreaterThan(1);
  });

  it('at r = 0 keeps every visual token and reads the whole cache', () => {
    const cache = filledCache(new Map([[3, 0]]));
    const { ctl, kv } = controller(cache, { decodeSparsity: 0 });
    const kvLen = askQuestion(ctl, cache, 0, 100);
    expect(ctl.slotsFor(0, kvLen)).toBeUndefined();
    expect(ctl.turnRetrieval().retrievedByLayer!.every((ids) => ids.length === 12)).toBe(true);
  });
});

describe('two turns (planted): permanent query pruning vs SparseVILA', () => {
  // Turn 1 asks about visual token 2 (axis 0), turn 2 about visual token 10 (axis 1).
  const planted = new Map([[2, 0], [10, 1]]);

  it('sparsevila retrieves turn 2\'s token because nothing was deleted', () => {
    const cache = filledCache(planted);
    const { ctl, kv } = controller(cache, { policy: 'sparsevila', decodeSparsity: 11 / 12 });
    askQuestion(ctl, cache, 0, 100);
    expect(Array.from(ctl.turnRetrieval().retrievedByLayer![0])).toEqual([2]);
    kv.evictTurn();
    ctl.endTurn();
    expect(cache.length).toBe(PREFIX);
    askQuestion(ctl, cache, 1, 200);
    const t2 = ctl.turnRetrieval();
    expect(t2.retainedIds.length).toBe(12);
    for (const ids of t2.retrievedByLayer!) expect(Array.from(ids)).toEqual([10]);
  });

  it('query-prune deletes turn 2\'s token at turn 1 and cannot get it back', () => {
    const cache = filledCache(planted);
    const { ctl, kv } = controller(cache, { policy: 'query-prune', decodeSparsity: 11 / 12 });
    askQuestion(ctl, cache, 0, 100);
    const t1 = ctl.turnRetrieval();
    expect(Array.from(t1.retainedIds)).toHaveLength(12);
    expect(Array.from(t1.retrievedByLayer![0])).toEqual([2]);
    expect(cache.length).toBe(PREFIX - 11 + 3); // compacted: 11 visual slots gone, question kept for decode
    kv.evictTurn();
    ctl.endTurn();
    expect(cache.length).toBe(PREFIX - 11);
    askQuestion(ctl, cache, 1, 200);
    const t2 = ctl.turnRetrieval();
    expect(Array.from(t2.retainedIds)).toEqual([2]);
    expect(Array.from(kv.layout.visualIds)).not.toContain(10);
    expect(ctl.slotsFor(0, cache.length)).toBeUndefined(); // decode is dense over what is left
  });
});
