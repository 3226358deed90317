// The policies inside the app's/CLI's ChatSession (real tokenizer, prompt builder, sampler) on a random checkpoint.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { loadModel, type LoadedModel } from '../../../engine/core/models/load-model.ts';
import { ChatSession, type TurnOutput } from '../../../engine/core/session/chat-session.ts';
import type { SparseSettings } from '../../../engine/core/sparse/policy.ts';
import { turnStats, type TurnMeasure } from '../../../engine/core/sparse/stats.ts';
import { pixels } from './tinyModel.ts';

let dir: string;
let model: LoadedModel;
const FRAMES = 3;
let video: { pixelValues: Float32Array; frames: number; frameTimes: number[]; durationSec: number };
const QS = ['what colour is the ball', 'where does the square go next'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sv-sparse-'));
  makeCheckpoint(dir, { preset: 'small', seed: 4, std: 0.15 });
  model = await loadModel(dir, { backend: 'cpu', threads: 1 });
  video = { pixelValues: pixels(model.model, FRAMES, 9), frames: FRAMES, frameTimes: [0.5, 1.5, 2.5], durationSec: 3 };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(s: Partial<SparseSettings>, maxNewTokens = 6): Promise<{ out: TurnOutput[]; m: TurnMeasure[]; session: ChatSession }> {
  const sparse = { policy: 'sparsevila' as const, prefillSparsity: 0, decodeSparsity: 0, perFrameFloor: 0, history: 'none' as const, ...s };
  const session = await ChatSession.create(model, video, { sparse });
  const out: TurnOutput[] = [];
  for (const q of QS) out.push(await session.ask(q, { maxNewTokens }));
  session.dispose();
  return { out, m: out.map((r) => r.measure), session };
}

describe('the policies in ChatSession', () => {
  it('sparsevila at p = r = 0 answers exactly like dense, turn after turn', async () => {
    const dense = await run({ policy: 'dense' });
    const sv = await run({ policy: 'sparsevila' });
    expect(sv.out.map((r) => r.tokenIds)).toEqual(dense.out.map((r) => r.tokenIds));
    expect(sv.m[1].retrievedByLayer!.every((ids) => ids.length === FRAMES * 16)).toBe(true);
    expect(dense.m[0].retrievedByLayer).toBeNull();
  });

  it('prunes, retrieves and reports per turn', async () => {
    const { out, m, session } = await run({ policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 });
    expect(out[0].visualTokens).toBe(24);
    for (const t of m) {
      expect(t.retainedIds.length).toBe(24);
      expect(t.retrievedByLayer).toHaveLength(model.config.text.layers);
      for (const ids of t.retrievedByLayer!) expect(ids.length).toBe(12);
      const s = turnStats(t);
      expect(s.visualTokensRetrieved).toBe(12);
      expect(s.retrievedMassShare).toBeGreaterThanOrEqual(0.5 - 1e-9);
      expect(s.timings.retrievalMs).toBeGreaterThan(0);
    }
    expect(m[0].timings.visionMs).toBeGreaterThan(0);
    expect(m[1].timings.visionMs).toBe(0);
    const insp = session.inspector(m[1], video.frameTimes);
    expect(insp.saliency).toHaveLength(FRAMES * 16);
    expect(insp.retained).toEqual(Array.from(m[1].retainedIds));
  });

  it('query-prune compacts the session for good at turn 1', async () => {
    const { out, m } = await run({ policy: 'query-prune', prefillSparsity: 0.5, decodeSparsity: 0.75 });
    expect(m[0].retainedIds.length).toBe(24);
    expect(m[1].retainedIds.length).toBe(6);
    expect(out[1].visualTokens).toBe(6);
  });

  it('text history re-prefills earlier Q&A after the retained prefix and still retrieves', async () => {
    const none = await run({ policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 });
    const text = await run({ policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5, history: 'text' });
    expect(text.out[0].tokenIds).toEqual(none.out[0].tokenIds); // turn 1 has no history
    expect(text.out[1].promptTokens).toBeGreaterThan(none.out[1].promptTokens);
    for (const ids of text.m[1].retrievedByLayer!) expect(ids.length).toBe(12);
  });
});
