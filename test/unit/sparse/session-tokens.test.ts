// The policies in ChatSession on token-id turns (the bench's way in) on a small random model with peaked attention:
// exactness at zero sparsity (tokens and logits), eviction between turns, what pruning keeps, per-layer retrieval, and
// query-prune's compaction through the session's PrefixKv.
import { describe, expect, it, vi } from 'vitest';
import { ChatSession } from '../../../engine/core/session/chat-session.ts';
import type { SparseSettings } from '../../../engine/core/sparse/policy.ts';
import { argmax } from '../../../engine/core/session/sampling.ts';
import { asLoaded, pixels, prefixIds, smallModel } from './tinyModel.ts';

const model = asLoaded(smallModel());
const FRAMES = 3;
const TPF = 16; // small preset: 64px / 8px patches = 8x8 grid, pooled 4x4
const video = { pixelValues: pixels(model.model, FRAMES, 5), frames: FRAMES, frameTimes: [0, 1, 2], durationSec: 3 };
const prefix = prefixIds(FRAMES, TPF);
const Q1 = Int32Array.from([5, 77, 300, 8, 2]);
const Q2 = Int32Array.from([9, 123, 456, 8, 2]);
const ask = { maxNewTokens: 6, eosTokenIds: [] };

function open(s: Partial<SparseSettings>): Promise<ChatSession> {
  const sparse = { policy: 'sparsevila' as const, prefillSparsity: 0, decodeSparsity: 0, perFrameFloor: 0, history: 'none' as const, ...s };
  return ChatSession.create(model, video, { sparse, prefixIds: prefix, turnCapacity: 64 });
}

function maxRel(a: Float32Array[], b: Float32Array[]): number {
  let d = 0, m = 0;
  for (let s = 0; s < a.length; s++) for (let i = 0; i < a[s].length; i++) {
    d = Math.max(d, Math.abs(a[s][i] - b[s][i]));
    m = Math.max(m, Math.abs(b[s][i]));
  }
  return d / m;
}

/** A turn through askTokens, with every step's logits as the session read them (the CPU backend samples on the host). */
async function askWithLogits(s: ChatSession, q: Int32Array): Promise<{ tokenIds: number[]; logits: Float32Array[] }> {
  const V = model.config.text.vocabSize;
  const logits: Float32Array[] = [];
  const toHost = model.backend.toHost.bind(model.backend);
  const spy = vi.spyOn(model.backend, 'toHost').mockImplementation((t) => {
    const x = toHost(t);
    if (x.length === V) logits.push(x);
    return x;
  });
  try {
    const r = await s.askTokens(q, ask);
    return { tokenIds: r.tokenIds, logits };
  } finally {
    spy.mockRestore();
  }
}

describe('ChatSession on token ids', async () => {
  const dense = await open({ policy: 'dense' });
  const d1 = await dense.askTokens(Q1, ask);
  const d2 = await dense.askTokens(Q2, ask);
  const denseLogits = dense.stepLogits(Q1, 5, (l) => argmax(l));

  it('dense: greedy tokens are the argmax of the step logits', () => {
    const l = dense.stepLogits(Q1, 5, (x, k) => d1.tokenIds[k]);
    expect(l.slice(0, 6).map((x) => argmax(x))).toEqual(d1.tokenIds);
    expect(dense.cache.length).toBe(dense.prefixSlots);
  });

  it.each(['sparsevila', 'prefill-only', 'query-prune'] as const)('%s at p = r = 0 equals dense (tokens and logits, two turns)', async (policy) => {
    const fresh = await open({ policy: 'dense' });
    const want = [await askWithLogits(fresh, Q1), await askWithLogits(fresh, Q2)];
    fresh.dispose();
    const c = await open({ policy });
    expect(maxRel(c.stepLogits(Q1, 5, (l) => argmax(l)), denseLogits)).toBeLessThan(1e-5);
    const got = [await askWithLogits(c, Q1), await askWithLogits(c, Q2)];
    for (let t = 0; t < 2; t++) {
      expect(got[t].tokenIds).toEqual(want[t].tokenIds);
      expect(got[t].logits).toHaveLength(6);
      expect(maxRel(got[t].logits, want[t].logits)).toBeLessThan(1e-5);
    }
    expect(got[0].tokenIds).toEqual(d1.tokenIds);
    expect(got[1].tokenIds).toEqual(d2.tokenIds);
    c.dispose();
  });

  it('evicts the turn: turn 2 equals asking its question first', async () => {
    const fresh = await open({ policy: 'dense' });
    expect((await fresh.askTokens(Q2, ask)).tokenIds).toEqual(d2.tokenIds);
    fresh.dispose();
  });

  it('prefill pruning keeps round((1-p)N) tokens at their positions, the most salient ones', async () => {
    const c = await open({ policy: 'prefill-only', prefillSparsity: 0.5 });
    expect(c.layout.visualIds.length).toBe(24);
    expect(c.prefixSlots).toBe(prefix.length - 24);
    expect(c.layout.nextPosition).toBe(prefix.length);
    expect(Array.from(c.layout.visualIds, (v, i) => c.layout.rows[c.layout.visualSlots[i]] - v)).toEqual(new Array(24).fill(4));
    const t = await c.askTokens(Q1, ask);
    expect(t.measure.retainedIds.length).toBe(24);
    expect(maxRel(c.stepLogits(Q1, 5, (l) => argmax(l)), denseLogits)).toBeGreaterThan(1e-4);
    const sal = c.policy.tokenSaliency!;
    const keptMin = Math.min(...Array.from(c.layout.visualIds, (v) => sal[v]));
    const kept = new Set(c.layout.visualIds);
    for (let v = 0; v < sal.length; v++) if (!kept.has(v)) expect(sal[v]).toBeLessThanOrEqual(keptMin);
    c.dispose();
  });

  it('sparsevila retrieves per layer per turn; a turn may override the decode sparsity', async () => {
    const c = await open({ policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.75, retrieval: { mode: 'per-layer' } });
    const t1 = await c.askTokens(Q1, ask);
    const t2 = await c.askTokens(Q2, ask);
    for (const t of [t1, t2]) {
      expect(t.measure.retrievedByLayer).toHaveLength(model.config.text.layers);
      for (const ids of t.measure.retrievedByLayer!) expect(ids.length).toBe(6); // round(0.25 * 24)
      for (const m of t.measure.massShareByLayer!) expect(m).toBeGreaterThanOrEqual(0.25 - 1e-9);
      expect(t.measure.retainedIds.length).toBe(24);
    }
    const t3 = await c.askTokens(Q2, { ...ask, decodeSparsity: 0.5 });
    for (const ids of t3.measure.retrievedByLayer!) expect(ids.length).toBe(12);
    const insp = c.inspector(t2.measure, [0, 1, 2]);
    expect(insp.gridH).toBe(4);
    expect(insp.saliency).toHaveLength(FRAMES * TPF);
    expect(insp.stats.visualTokensRetrieved).toBe(6);
    expect(insp.stats.visualTokensTotal).toBe(48);
    c.dispose();
  });

  it('query-prune shrinks the cache for good after turn 1', async () => {
    const c = await open({ policy: 'query-prune', prefillSparsity: 0.5, decodeSparsity: 0.75 });
    const before = c.prefixSlots;
    const t1 = await c.askTokens(Q1, ask);
    expect(t1.measure.retainedIds.length).toBe(24);
    expect(c.layout.visualIds.length).toBe(6);
    expect(c.prefixSlots).toBe(before - 18);
    expect(c.cache.length).toBe(c.prefixSlots);
    const t2 = await c.askTokens(Q2, ask);
    expect(t2.measure.retainedIds.length).toBe(6);
    expect(t2.measure.retrievedByLayer).toBeNull();
    expect(t2.tokens).toBe(6);
    c.dispose();
  });
});
