// End-to-end generation on a tiny random checkpoint: incremental decoding equals a full forward pass, multi-turn KV
// reuse evicts each turn, streaming, stops and cancel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { ChatSession, loadModel, type LoadedModel } from '../../../engine/core/session/index.ts';
import { argmax } from '../../../engine/core/session/sampling.ts';
import { DENSE_SETTINGS } from '../../../engine/core/sparse/policy.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sess-'));
let model: LoadedModel;
const F = 3, S = 32;
const video = {
  pixelValues: Float32Array.from({ length: F * 3 * S * S }, (_, i) => Math.sin(i * 0.37)),
  frames: F, frameTimes: [0, 2, 4], durationSec: 6,
};

beforeAll(async () => {
  const dir = join(tmp, 'm');
  makeCheckpoint(dir, { preset: 'tiny', seed: 3, std: 0.3 });
  model = await loadModel(dir, { backend: 'cpu' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('chat session', () => {
  it('greedy incremental decoding reproduces full-sequence logits', async () => {
    const s = await ChatSession.create(model, video);
    const r = await s.ask('What happens?', { maxNewTokens: 6 });
    expect(r.tokens).toBeGreaterThan(0);
    const turn = s.builder!.turnIds(s.prompt, 'What happens?');
    const full = Int32Array.from([...s.prompt.prefixIds, ...turn, ...r.tokenIds]);
    const px = video.pixelValues;
    const logits = model.model.logits(full, px, F);
    const V = model.config.text.vocabSize;
    const start = s.prompt.prefixIds.length + turn.length - 1;
    // Each generated token is the argmax of the full forward pass at the previous position.
    for (let k = 0; k < r.tokens; k++) {
      expect(argmax(logits.subarray((start + k) * V, (start + k + 1) * V))).toBe(r.tokenIds[k]);
    }
    s.dispose();
  });

  it('turns are independent (each turn evicted), streaming concatenates to the answer', async () => {
    const s = await ChatSession.create(model, video);
    let streamed = '';
    const a = await s.ask('Describe it.', { maxNewTokens: 8, onToken: (d) => { streamed += d; } });
    expect(streamed).toBe(a.answer);
    expect(a.timings.visionMs).toBeGreaterThan(0);
    await s.ask('Something else entirely?', { maxNewTokens: 5 });
    expect(s.cache.length).toBe(s.prefixSlots);
    const c = await s.ask('Describe it.', { maxNewTokens: 8 });
    expect(c.tokenIds).toEqual(a.tokenIds);
    expect(c.turn).toBe(3);
    expect(c.timings.visionMs).toBe(0);
    expect(c.visualTokens).toBe(F * 4);
    expect(c.kvBytes).toBeGreaterThan(0);
    s.dispose();
  });

  it('respects max tokens, EOS, seeds and cancellation', async () => {
    const s = await ChatSession.create(model, video);
    const r1 = await s.ask('Q', { maxNewTokens: 3 });
    expect(r1.tokens).toBeLessThanOrEqual(3);
    if (r1.tokens === 3) expect(r1.stopReason).toBe('max_tokens');
    const a = await s.ask('Q', { maxNewTokens: 6, temperature: 1, topP: 0.9, seed: 11 });
    const b = await s.ask('Q', { maxNewTokens: 6, temperature: 1, topP: 0.9, seed: 11 });
    expect(b.tokenIds).toEqual(a.tokenIds);
    const ac = new AbortController();
    let n = 0;
    const c = await s.ask('Q', { maxNewTokens: 50, temperature: 1, seed: 2, signal: ac.signal, onToken: () => { if (++n === 2) ac.abort(); } });
    expect(c.stopReason).toBe('aborted');
    expect(c.tokens).toBeLessThan(50);
    // Greedy with EOS made the most likely token: the first step stops at once.
    const eosModel = { ...model, generation: { ...model.generation, eosTokenIds: [r1.tokenIds[0]] } };
    const s2 = await ChatSession.create(eosModel, video);
    const e = await s2.ask('Q', { maxNewTokens: 5 });
    expect(e.stopReason).toBe('eos');
    expect(e.tokens).toBe(0);
    s.dispose();
    s2.dispose();
  });

  it('decode rate counts every decode step, the one that produced EOS included', async () => {
    const s = await ChatSession.create(model, video);
    const g = await s.ask('Q', { maxNewTokens: 6 });
    s.dispose();
    const k = g.tokenIds.findIndex((t, i) => i > 0 && !g.tokenIds.slice(0, i).includes(t));
    expect(k).toBeGreaterThan(0);
    const eosModel = { ...model, generation: { ...model.generation, eosTokenIds: [g.tokenIds[k]] } };
    const s2 = await ChatSession.create(eosModel, video);
    // One lm_head per step: the question prefill's, then one per decode step.
    const lmHead = vi.spyOn(model.model.llm, 'logits');
    const r = await s2.ask('Q', { maxNewTokens: 6 });
    const steps = lmHead.mock.calls.length - 1;
    lmHead.mockRestore();
    s2.dispose();
    expect(r.stopReason).toBe('eos');
    expect(r.tokens).toBe(k);
    expect(steps).toBe(k);
    expect((r.decodeTokensPerSec * r.timings.decodeMs) / 1000).toBeCloseTo(steps, 6);
  });

  it('prefill pruning keeps original positions: pruning nothing equals dense', async () => {
    const dense = await ChatSession.create(model, video);
    const none = await ChatSession.create(model, video, { sparse: { ...DENSE_SETTINGS, policy: 'prefill-only', prefillSparsity: 0 } });
    const few = await ChatSession.create(model, video, { sparse: { ...DENSE_SETTINGS, policy: 'prefill-only', prefillSparsity: 0.75 } });
    expect(few.visualTokens).toBe(3);
    expect(few.prefixSlots).toBe(dense.prefixSlots - (F * 4 - 3));
    expect(few.layout.nextPosition).toBe(dense.layout.nextPosition);
    const q = 'Where is it?';
    const d = await dense.ask(q, { maxNewTokens: 6 });
    expect((await none.ask(q, { maxNewTokens: 6 })).tokenIds).toEqual(d.tokenIds);
    for (const s of [dense, none, few]) s.dispose();
  });

  it('token-id prompts: a prefix without the video placeholders, or a question with one, is refused', async () => {
    const vid = model.config.videoTokenId;
    await expect(ChatSession.create(model, video, { prefixIds: Int32Array.of(1, 2, 3) })).rejects.toThrow(/no video placeholder/);
    const prefix = Int32Array.from([1, ...new Array(F * 4 + 1).fill(vid), 2]);
    const s = await ChatSession.create(model, video, { prefixIds: prefix });
    await expect(s.askTokens(Int32Array.of(5, vid))).rejects.toThrow(/video placeholder/);
    await expect(s.ask('hello')).rejects.toThrow(/askTokens/);
    const r = await s.askTokens(Int32Array.of(5, 6, 7), { maxNewTokens: 3, eosTokenIds: [] });
    expect(r.tokens).toBe(3);
    s.dispose();
  });
});
