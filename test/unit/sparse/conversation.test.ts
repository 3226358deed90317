// End-to-end policy tests on a small random model: exactness at zero sparsity, eviction between turns, pruning effects.
import { describe, expect, it } from 'vitest';
import { VideoConversation } from '../../../engine/core/sparse/conversation.ts';
import type { SparseSettings } from '../../../engine/core/sparse/policy.ts';
import { pixels, prefixIds, smallModel } from './tinyModel.ts';

const model = smallModel();
const FRAMES = 3;
const TPF = 16; // small preset: 64px / 8px patches = 8x8 grid, pooled 4x4
const px = pixels(model, FRAMES, 5);
const prefix = prefixIds(FRAMES, TPF);
const Q1 = Int32Array.from([5, 77, 300, 8, 2]);
const Q2 = Int32Array.from([9, 123, 456, 8, 2]);
const ask = { maxNewTokens: 6, eosTokenIds: [], keepLogits: true };

function conv(s: Partial<SparseSettings>): VideoConversation {
  const c = new VideoConversation(model, { policy: 'sparsevila', prefillSparsity: 0, decodeSparsity: 0, perFrameFloor: 0, history: 'none', ...s });
  c.prepare(px, FRAMES, prefix);
  return c;
}

function maxRel(a: Float32Array[], b: Float32Array[]): number {
  let d = 0, m = 0;
  for (let s = 0; s < a.length; s++) for (let i = 0; i < a[s].length; i++) {
    d = Math.max(d, Math.abs(a[s][i] - b[s][i]));
    m = Math.max(m, Math.abs(b[s][i]));
  }
  return d / m;
}

describe('VideoConversation', () => {
  const dense = conv({ policy: 'dense' });
  const d1 = dense.ask(Q1, ask);
  const d2 = dense.ask(Q2, ask);

  it.each(['sparsevila', 'prefill-only', 'query-prune'] as const)('%s at p = r = 0 equals dense (tokens and logits, two turns)', (policy) => {
    const c = conv({ policy });
    const t1 = c.ask(Q1, ask);
    const t2 = c.ask(Q2, ask);
    expect(t1.tokens).toEqual(d1.tokens);
    expect(t2.tokens).toEqual(d2.tokens);
    expect(maxRel(t1.logits!, d1.logits!)).toBeLessThan(1e-5);
    expect(maxRel(t2.logits!, d2.logits!)).toBeLessThan(1e-5);
    expect(t1.measure.retainedIds.length).toBe(FRAMES * TPF);
  });

  it('evicts the turn: turn 2 equals asking its question first', () => {
    const fresh = conv({ policy: 'dense' });
    const only2 = fresh.ask(Q2, ask);
    expect(only2.tokens).toEqual(d2.tokens);
    expect(maxRel(only2.logits!, d2.logits!)).toBeLessThan(1e-6);
  });

  it('prefill pruning keeps round((1-p)N) tokens and changes the computation', () => {
    const c = conv({ policy: 'prefill-only', prefillSparsity: 0.5 });
    expect(c.prefix.visualIds.length).toBe(24);
    expect(c.prefix.rows.length).toBe(prefix.length - 24);
    const t = c.ask(Q1, ask);
    expect(t.measure.retainedIds.length).toBe(24);
    expect(maxRel(t.logits!, d1.logits!)).toBeGreaterThan(1e-4);
    // kept tokens are the most salient ones
    const sal = c.tokenSaliency!;
    const keptMin = Math.min(...Array.from(c.prefix.visualIds, (v) => sal[v]));
    const kept = new Set(c.prefix.visualIds);
    for (let v = 0; v < sal.length; v++) if (!kept.has(v)) expect(sal[v]).toBeLessThanOrEqual(keptMin);
  });

  it('sparsevila retrieves per layer per turn and reports stats', () => {
    const c = conv({ policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.75 });
    const t1 = c.ask(Q1, ask);
    const t2 = c.ask(Q2, ask);
    for (const t of [t1, t2]) {
      expect(t.measure.retrievedByLayer).toHaveLength(model.config.text.layers);
      for (const ids of t.measure.retrievedByLayer!) expect(ids.length).toBe(6); // round(0.25 * 24)
      for (const m of t.measure.massShareByLayer!) expect(m).toBeGreaterThanOrEqual(0.25 - 1e-9);
      expect(t.measure.retainedIds.length).toBe(24);
    }
    const insp = c.inspector(t2.measure, [0, 1, 2]);
    expect(insp.gridH).toBe(4);
    expect(insp.saliency).toHaveLength(FRAMES * TPF);
    expect(insp.stats.visualTokensRetrieved).toBe(6);
    expect(insp.stats.visualTokensTotal).toBe(48);
  });

  it('query-prune shrinks the cache for good after turn 1', () => {
    const c = conv({ policy: 'query-prune', prefillSparsity: 0.5, decodeSparsity: 0.75 });
    const before = c.retainedKvBytes;
    c.ask(Q1, ask);
    expect(c.prefix.visualIds.length).toBe(6);
    expect(c.retainedKvBytes).toBeLessThan(before);
    const t2 = c.ask(Q2, ask);
    expect(t2.measure.retainedIds.length).toBe(6);
    expect(t2.measure.retrievedByLayer).toBeNull();
  });
});
