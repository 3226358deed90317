// Greedy decoding on the device: when the backend has a DeviceSampler, ChatSession samples with it
// (4 bytes back per token instead of the logits) and produces exactly the tokens of the host path; sampling with a
// temperature keeps the host path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DeviceSampler, Tensor } from '../../../engine/core/backend/backend.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { ChatSession, loadModel, type LoadedModel } from '../../../engine/core/session/index.ts';
import { argmax } from '../../../engine/core/session/sampling.ts';

const tmp = mkdtempSync(join(tmpdir(), 'greedy-'));
let model: LoadedModel;
const F = 2, S = 32;
const video = {
  pixelValues: Float32Array.from({ length: F * 3 * S * S }, (_, i) => Math.cos(i * 0.21)),
  frames: F, frameTimes: [0, 3], durationSec: 6,
};

beforeAll(async () => {
  const dir = join(tmp, 'm');
  makeCheckpoint(dir, { preset: 'tiny', seed: 4, std: 0.3 });
  model = await loadModel(dir, { backend: 'cpu' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The model's backend, offering only argmaxRows (computed on the host here), counting its calls. */
function withDeviceArgmax(m: LoadedModel) {
  let calls = 0;
  const fx: DeviceSampler = {
    argmaxRows: (x: Tensor) => { calls++; return Int32Array.of(argmax(m.backend.toHost(x))); },
  };
  const backend = new Proxy(m.backend, {
    get: (t, p, r) => (p === 'deviceSampler' ? fx : Reflect.get(t, p, r)),
  }) as Backend;
  return { model: { ...m, backend }, calls: () => calls };
}

describe('ChatSession greedy sampling on the device', () => {
  it('gives the host path tokens, one argmaxRows per generated token', async () => {
    const host = await ChatSession.create(model, video);
    const want = await host.ask('What is shown?', { maxNewTokens: 7 });
    host.dispose();
    const dev = withDeviceArgmax(model);
    const s = await ChatSession.create(dev.model, video);
    const got = await s.ask('What is shown?', { maxNewTokens: 7 });
    expect(got.tokenIds).toEqual(want.tokenIds);
    expect(got.answer).toBe(want.answer);
    expect(dev.calls()).toBe(got.tokens + (got.stopReason === 'max_tokens' ? 0 : 1));
    const before = dev.calls();
    await s.ask('What is shown?', { maxNewTokens: 4, temperature: 0.8, seed: 1 });
    expect(dev.calls()).toBe(before);
    s.dispose();
  });

  it('a cancel during the pipelined step stops after that token, with a prefix of the host answer', async () => {
    const host = await ChatSession.create(model, video);
    const want = await host.ask('Describe it.', { maxNewTokens: 8 });
    host.dispose();
    const dev = withDeviceArgmax(model);
    const s = await ChatSession.create(dev.model, video);
    const ac = new AbortController();
    let n = 0;
    const got = await s.ask('Describe it.', { maxNewTokens: 8, signal: ac.signal, onToken: () => { if (++n === 2) ac.abort(); } });
    if (want.tokens > 2) {
      expect(got.stopReason).toBe('aborted');
      expect(got.tokenIds).toEqual(want.tokenIds.slice(0, got.tokens));
    }
    expect(s.cache.length).toBe(s.prefixSlots);
    s.dispose();
  });
});
