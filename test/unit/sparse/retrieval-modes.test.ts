// The retrieval modes (engine/core/sparse/retrieval-settings.ts) inside ChatSession on the CPU backend: at decode
// sparsity 0 each answers exactly like dense; shared sets are one set; refresh changes its sets during the answer
// from the recent queries; pages read whole pages per step; nothing is deleted (a later turn reaches every token).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { loadModel, type LoadedModel } from '../../../engine/core/models/load-model.ts';
import { ChatSession, type TurnOutput } from '../../../engine/core/session/chat-session.ts';
import type { SparseSettings } from '../../../engine/core/sparse/policy.ts';
import { RETRIEVAL_MODES, type RetrievalSettings } from '../../../engine/core/sparse/retrieval-settings.ts';
import { pixels } from './tinyModel.ts';

let dir: string;
let model: LoadedModel;
const FRAMES = 3;
let video: { pixelValues: Float32Array; frames: number; frameTimes: number[]; durationSec: number };
const QS = ['what colour is the ball', 'where does the square go next'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sv-retrieval-'));
  makeCheckpoint(dir, { preset: 'small', seed: 4, std: 0.15 });
  model = await loadModel(dir, { backend: 'cpu', threads: 1 });
  video = { pixelValues: pixels(model.model, FRAMES, 9), frames: FRAMES, frameTimes: [0.5, 1.5, 2.5], durationSec: 3 };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(s: Partial<SparseSettings>, maxNewTokens = 8): Promise<TurnOutput[]> {
  const sparse = { policy: 'sparsevila' as const, prefillSparsity: 0, decodeSparsity: 0, perFrameFloor: 0, history: 'none' as const, ...s };
  const session = await ChatSession.create(model, video, { sparse });
  const out: TurnOutput[] = [];
  try {
    for (const q of QS) out.push(await session.ask(q, { maxNewTokens, eosTokenIds: [] }));
  } finally {
    session.dispose();
  }
  return out;
}

const retrieval = (r: Partial<RetrievalSettings>) => ({ retrieval: r });

describe('retrieval modes in ChatSession', () => {
  it('at decode sparsity 0 every mode answers exactly like dense', async () => {
    const dense = await run({ policy: 'dense' });
    for (const mode of RETRIEVAL_MODES) {
      const extra = mode === 'refresh' ? { refreshEvery: 2 } : mode === 'pages' ? { pageSize: 4 } : mode === 'fastv' ? { fastvLayer: 0 } : {};
      const out = await run({ prefillSparsity: 0.25, decodeSparsity: 0, ...retrieval({ mode, ...extra }) });
      const pruned = await run({ policy: 'prefill-only', prefillSparsity: 0.25 });
      expect(out.map((r) => r.tokenIds), mode).toEqual(pruned.map((r) => r.tokenIds));
    }
    const full = await run({ decodeSparsity: 0, ...retrieval({ mode: 'shared' }) });
    expect(full.map((r) => r.tokenIds)).toEqual(dense.map((r) => r.tokenIds));
  });

  it('shared: every layer reads one set of the budget size', async () => {
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.75, ...retrieval({ mode: 'shared' }) });
    for (const r of out) {
      const sets = r.measure.retrievedByLayer!;
      expect(sets[0]).toHaveLength(6); // round(0.25 * 24)
      for (const s of sets) expect(Array.from(s)).toEqual(Array.from(sets[0]));
    }
  });

  it('shared with full layers: the first K layers read every retained token, the rest the one shared set', async () => {
    const shared = await run({ prefillSparsity: 0.5, decodeSparsity: 0.75, ...retrieval({ mode: 'shared' }) });
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.75, ...retrieval({ mode: 'shared', fullLayers: 1 }) });
    for (const [t, r] of out.entries()) {
      const sets = r.measure.retrievedByLayer!;
      expect(Array.from(sets[0])).toEqual(Array.from(r.measure.retainedIds));
      for (const s of sets.slice(1)) expect(Array.from(s)).toEqual(Array.from(shared[t].measure.retrievedByLayer![1]));
      expect(r.measure.massShareByLayer![0]).toBe(1);
    }
  });

  it('top-p: per layer at least minRetrieved and at most the top-k, holding the mass when the cap allows', async () => {
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.5, ...retrieval({ mode: 'top-p', mass: 0.3, minRetrieved: 2 }) });
    for (const r of out) {
      r.measure.retrievedByLayer!.forEach((s, l) => {
        expect(s.length).toBeGreaterThanOrEqual(2);
        expect(s.length).toBeLessThanOrEqual(12);
        if (s.length < 12 && s.length > 2) expect(r.measure.massShareByLayer![l]).toBeGreaterThanOrEqual(0.3 - 1e-6);
      });
    }
  });

  it('refresh: the sets change during the answer, each of the budget size, and nothing is deleted', async () => {
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.75, ...retrieval({ mode: 'refresh', refreshEvery: 2 }) }, 9);
    for (const r of out) {
      const tl = r.measure.timeline!;
      expect(tl.map((e) => e.fromToken)).toEqual([1, 2, 4, 6, 8]);
      for (const e of tl) for (const pos of e.byLayer) expect(pos).toHaveLength(6);
      // the union read this turn is the retrievedByLayer reported
      const union = new Set(tl.flatMap((e) => Array.from(e.byLayer[0], (p) => r.measure.retainedIds[p])));
      expect(new Set(r.measure.retrievedByLayer![0])).toEqual(union);
      expect(r.measure.retainedIds).toHaveLength(24);
    }
    expect(out[1].visualTokens).toBe(24);
  });

  it('pages: each step reads whole pages (plus the partial one) of the budget size', async () => {
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.75, ...retrieval({ mode: 'pages', pageSize: 5 }) }, 6);
    for (const r of out) {
      const tl = r.measure.timeline!;
      expect(tl).toHaveLength(5); // every decode step after the prefill's token
      for (const e of tl) {
        for (const pos of e.byLayer) {
          // 24 retained: 4 full pages of 5 + 4 always read; budget 6 -> round(6 / 5) = 1 page
          expect(pos).toHaveLength(5 + 4);
          expect(pos[0] % 5).toBe(0);
          expect(Array.from(pos.subarray(5))).toEqual([20, 21, 22, 23]);
        }
      }
      expect(r.measure.massShareByLayer).toBeNull();
    }
  });

  it('fastv: layers up to K read everything, the later ones the top-k of layer K', async () => {
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.75, ...retrieval({ mode: 'fastv', fastvLayer: 0 }) });
    const sets = out[0].measure.retrievedByLayer!;
    expect(sets[0]).toHaveLength(24);
    for (const s of sets.slice(1)) expect(Array.from(s)).toEqual(Array.from(sets[1]));
    expect(sets[1]).toHaveLength(6);
    await expect(run({ decodeSparsity: 0.5, ...retrieval({ mode: 'fastv', fastvLayer: 99 }) })).rejects.toThrow(/fastv: layer 99/);
  });

  it('budgets never round to zero', async () => {
    const out = await run({ prefillSparsity: 0.5, decodeSparsity: 0.99, ...retrieval({ mode: 'per-layer', minRetrieved: 3 }) });
    for (const s of out[0].measure.retrievedByLayer!) expect(s).toHaveLength(3);
  });
});

describe('pages reference (pages-ref.ts)', async () => {
  const { pageBoundsHost, pageScoresHost, pageSlotsHost, selectPagesHost } = await import('../../../engine/core/sparse/pages-ref.ts');
  const { randomFloats } = await import('./naive.ts');
  it('bounds every key logit of a page from above, and the slot list is prefix + pages + tail', () => {
    const heads = 4, kvHeads = 2, d = 8, kvw = kvHeads * d, g = { first: 3, count: 22, pageSize: 5 };
    const keys = randomFloats(30 * kvw, 7, 1), q = randomFloats(heads * d, 8, 1);
    const bounds = pageBoundsHost(keys, kvw, g);
    const scores = pageScoresHost(q, bounds, 4, heads, kvHeads, d, 0.5);
    for (let h = 0; h < heads; h++) {
      const go = Math.floor(h / 2) * d;
      const ub = [0, 1, 2, 3].map((p) => {
        let s = 0;
        for (let c = 0; c < d; c++) s += Math.max(q[h * d + c] * bounds[p * 2 * kvw + go + c], q[h * d + c] * bounds[p * 2 * kvw + kvw + go + c]);
        return s * 0.5;
      });
      for (let p = 0; p < 4; p++) {
        for (let t = 0; t < 5; t++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[h * d + c] * keys[(3 + p * 5 + t) * kvw + go + c];
          expect(dot * 0.5).toBeLessThanOrEqual(ub[p] + 1e-5);
        }
        expect(scores[p]).toBeGreaterThanOrEqual(ub[p] - Math.max(...ub) - 1e-6);
      }
    }
    expect(Math.max(...scores)).toBeCloseTo(0, 6);
    const pages = selectPagesHost(scores, 2);
    expect(pages).toHaveLength(2);
    const slots = Array.from(pageSlotsHost(g, pages, 30));
    expect(slots.slice(0, 3)).toEqual([0, 1, 2]);
    expect(slots.slice(13)).toEqual([23, 24, 25, 26, 27, 28, 29]);
    expect(slots).toHaveLength(3 + 10 + 7);
  });
});
