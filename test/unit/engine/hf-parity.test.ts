// HF parity: `sparsevila logits` on the committed fixture (random LlavaOnevisionForConditionalGeneration models built and
// run by transformers 5.17 on the GPU machine, scripts/gpu/hf_parity_fixture.py) must match HF's logits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../engine/cli/main.ts';
import { SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { loadModel } from '../../../engine/core/models/load-model.ts';
import { readLogitsInputs } from '../../../engine/cli/logits.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/hf-parity');
const tmp = mkdtempSync(join(tmpdir(), 'hf-parity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readF32(path: string, name: string): { data: Float32Array; shape: number[] } {
  const f = new SafetensorsFile(path);
  try {
    const info = f.tensors.get(name)!;
    return { data: new Float32Array(f.readBytes(name).buffer), shape: info.shape };
  } finally {
    f.close();
  }
}

function relError(got: Float32Array, ref: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(got[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / m;
}

describe.each(['a-single', 'b-sharded'])('HF parity %s', (name) => {
  const dir = join(FIXTURE, name);

  it('sparsevila logits matches transformers (max|Δ|/max|ref| < 1e-4)', async () => {
    const out = join(tmp, `${name}.safetensors`);
    const rc = await main(['logits', '--model', join(dir, 'model'), '--inputs', join(dir, 'inputs.safetensors'), '--out', out, '--backend', 'cpu']);
    expect(rc).toBe(0);
    const got = readF32(out, 'logits');
    const ref = readF32(join(dir, 'reference.safetensors'), 'logits');
    expect(got.shape).toEqual(ref.shape);
    expect(relError(got.data, ref.data)).toBeLessThan(1e-4);
  });

  it('video features (projected + pooled) match get_video_features', async () => {
    const m = await loadModel(join(dir, 'model'), { backend: 'cpu' });
    const { pixels, frames } = readLogitsInputs(join(dir, 'inputs.safetensors'));
    const enc = m.model.encodeVideo(pixels!, frames);
    const ref = readF32(join(dir, 'reference.safetensors'), 'video_features');
    const rows = frames * enc.tokensPerFrame;
    expect(ref.shape).toEqual([rows, m.config.text.hiddenSize]);
    const got = m.backend.toHost(enc.tokens).subarray(0, ref.data.length);
    expect(relError(got, ref.data)).toBeLessThan(1e-4);
    // Frame by frame (one tower batch per frame) gives the same features as all frames in one batch.
    expect(frames).toBeGreaterThan(1);
    const one = m.model.encodeVideo(pixels!, frames, { framesPerBatch: 1 });
    expect(relError(m.backend.toHost(one.tokens).subarray(0, ref.data.length), got)).toBeLessThan(1e-5);
  });
});

it('a wrong image_newline breaks parity (the check can fail)', async () => {
  const dir = join(FIXTURE, 'a-single');
  const m = await loadModel(join(dir, 'model'), { backend: 'cpu' });
  const { ids, pixels, frames } = readLogitsInputs(join(dir, 'inputs.safetensors'));
  m.backend.toHost(m.model.newline).fill(0);
  const got = m.model.logits(ids, pixels, frames);
  const ref = readF32(join(dir, 'reference.safetensors'), 'logits');
  expect(relError(got, ref.data)).toBeGreaterThan(1e-3);
});
