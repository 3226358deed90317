// Qwen2.5-VL / Qwen3-VL through the chat loop (ChatSession) on the HF fixture models with a small tokenizer and a
// Qwen-style chat template added: the prompt as HF's processors expand it, turn logits equal to one forward of the
// whole sequence (question at the prompt's text position, answer tokens after it), later turns after eviction at the
// same positions, sparsevila at 0/0 equal to dense, and pruning (grid positions or the compact grid) running.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readQwenVlInputs } from '../../../engine/cli/qwen-vl-inputs.ts';
import { loadVlm, type LoadedQwenVl } from '../../../engine/core/models/load-model.ts';
import { ChatSession, encodedHasSaliency, encodedTensors, type EncodedVideo, type SessionVideo } from '../../../engine/core/session/chat-session.ts';
import { DENSE_SETTINGS, type SparseSettings } from '../../../engine/core/sparse/policy.ts';
import { QWEN_VL_FIXTURE, qwenVlChatFolder, type QwenVlFixtureFamily } from './qwen-vl-chat-folder.ts';
import { relError } from './qwen-vision-fixture.ts';

const FIXTURE = QWEN_VL_FIXTURE;
const tmp = mkdtempSync(join(tmpdir(), 'qwen-vl-session-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The fixture model folder with a tokenizer, a chat template and a video processor. */
function chatFolder(family: QwenVlFixtureFamily): string {
  return qwenVlChatFolder(family, join(tmp, family));
}

const greedy = (l: Float32Array) => l.reduce((b, v, i) => (v > l[b] ? i : b), 0);


describe.each(['qwen2_5_vl', 'qwen3_vl'] as const)('Qwen-VL chat session %s', (family) => {
  const ready = (async () => {
    const m = await loadVlm(chatFolder(family), { backend: 'cpu', threads: 2 });
    if (m.kind !== 'qwen-vl') throw new Error('loadVlm did not load the Qwen-VL folder as one');
    const { prompt, pixels } = readQwenVlInputs(join(FIXTURE, family, 'inputs.safetensors'), m.config.videoTokenId);
    const grid = prompt.grids[0];
    const video: SessionVideo = {
      pixelValues: pixels!, frames: 2 * grid.t, frameTimes: [], durationSec: 3,
      qwen: { grid, secondPerGridTs: prompt.secondPerGrid[0], groupTimes: Array.from({ length: grid.t }, (_, g) => 0.5 + g) },
    };
    return { m: m as LoadedQwenVl, video };
  })();
  const session = async (sparse: SparseSettings, prunedPositions?: 'original' | 'compact') => {
    const { m, video } = await ready;
    return ChatSession.create(m, video, { sparse, prunedPositions, turnCapacity: 64 });
  };

  it('builds the prompt as the processor expands it, and turns match one forward of the whole sequence', async () => {
    const { m, video } = await ready;
    const s = await session(DENSE_SETTINGS);
    const grid = video.qwen!.grid, perGroup = (grid.h / 2) * (grid.w / 2);
    const ids = s.prompt.prefixIds;
    expect(Array.from(ids.filter((x) => x === 392)).length).toBe(grid.t * perGroup);
    // Qwen3-VL: one vision_start per frame group, each after its timestamp text ("<0.5 seconds>" ...).
    expect(Array.from(ids.filter((x) => x === 390)).length).toBe(family === 'qwen3_vl' ? grid.t : 1);
    const question = s.builder!.turnIds(s.prompt, 'what happens?');
    const steps = s.stepLogits(question, 3, greedy);
    // The reference: the whole sequence (prefix, question, the 3 greedy tokens) in one forward from scratch.
    const generated = steps.slice(0, 3).map(greedy);
    const all = Int32Array.from([...ids, ...question, ...generated]);
    const enc = m.model.encodeVideo(video.pixelValues, [grid]);
    const ref = m.model.logits({ ids: all, videoRows: Int32Array.from(all.keys()).filter((i) => all[i] === 392), grids: [grid],
      secondPerGrid: [video.qwen!.secondPerGridTs] }, enc);
    const V = m.config.text.vocabSize, P = ids.length + question.length;
    steps.forEach((row, k) => expect(relError(row, ref.subarray((P - 1 + k) * V, (P + k) * V))).toBeLessThan(1e-4));
    // A second turn after eviction sits where the first did.
    const again = s.stepLogits(question, 0, greedy);
    expect(relError(again[0], steps[0])).toBeLessThan(1e-6);
    // The inspector's tiles are the frame groups of the merged grid, timed by their 2 frames.
    const turn = await s.ask('and then?', { maxNewTokens: 2, eosTokenIds: [] });
    const times = Array.from({ length: 2 * grid.t }, (_, i) => i * 0.5);
    const view = s.inspector(turn.measure, times);
    expect([view.frames, view.gridH, view.gridW, view.framesPerGroup]).toEqual([grid.t, grid.h / 2, grid.w / 2, 2]);
    expect(view.frameTimes).toEqual(Array.from({ length: grid.t }, (_, g) => g + 0.25));
    expect(view.sampledFrameTimes).toEqual(times);
    s.dispose();
  });

  it('sparsevila at 0/0 answers exactly as dense; pruning keeps the share asked for, in both position modes', async () => {
    const ask = async (sparse: SparseSettings, mode?: 'original' | 'compact') => {
      const s = await session(sparse, mode);
      const r = await s.ask('describe the video', { maxNewTokens: 5, eosTokenIds: [] });
      s.dispose();
      return r;
    };
    const dense = await ask(DENSE_SETTINGS);
    const zero = await ask({ ...DENSE_SETTINGS, policy: 'sparsevila' });
    expect(zero.tokenIds).toEqual(dense.tokenIds);
    expect(zero.visualTokens).toBe(dense.visualTokensTotal);
    for (const mode of ['original', 'compact'] as const) {
      const half = await ask({ ...DENSE_SETTINGS, policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 }, mode);
      expect(half.tokens).toBe(5);
      expect(half.visualTokens).toBe(Math.round(dense.visualTokensTotal / 2));
    }
  });

  it('reuses a kept tower output (a second conversation on the same frames): same answer, no vision time', async () => {
    const { m, video } = await ready;
    const sparse: SparseSettings = { ...DENSE_SETTINGS, policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 };
    let kept: EncodedVideo | null = null;
    const first = await ChatSession.create(m, video, { sparse, turnCapacity: 64, keepEncoded: (e) => { kept = e; } });
    expect(kept).not.toBeNull();
    const k = kept! as EncodedVideo;
    expect(k.kind).toBe('qwen-vl');
    expect(encodedHasSaliency(k)).toBe(true);
    const a = await first.ask('describe the video', { maxNewTokens: 5, eosTokenIds: [] });
    first.dispose();
    // The kept tensors outlive the first session; the second builds from them without the tower.
    const second = await ChatSession.create(m, video, { sparse, turnCapacity: 64, encoded: k });
    const b = await second.ask('describe the video', { maxNewTokens: 5, eosTokenIds: [] });
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(b.timings.visionMs).toBe(0);
    expect(a.timings.visionMs).toBeGreaterThan(0);
    second.dispose();
    for (const t of encodedTensors(k)) m.backend.dispose(t);
  });
});
