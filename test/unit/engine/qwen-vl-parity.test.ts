// Qwen2.5-VL / Qwen3-VL parity against transformers 5.17 (fixtures: scripts/gpu/qwen_vl_fixture.py, random small models
// of both families saved with save_pretrained, HF-format inputs, fp32 eager logits): the M-RoPE positions equal the
// position_ids HF's language model received, the language model alone (fed HF's video embeddings and DeepStack
// features) and the whole model through `sparsevila logits --backend cpu` match HF's logits within 1e-4 of the max.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../engine/cli/main.ts';
import { readQwenVlInputs } from '../../../engine/cli/qwen-vl-inputs.ts';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { loadQwenVl } from '../../../engine/core/models/load-qwen-vl.ts';
import { readTensors, relError } from './qwen-vision-fixture.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/qwen-vl');
const tmp = mkdtempSync(join(tmpdir(), 'qwen-vl-parity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One tensor of a safetensors file (f32 or i64). */
function read(path: string, name: string): { data: Float32Array | BigInt64Array; shape: number[] } {
  const t = readTensors(path).get(name);
  if (!t) throw new Error(`${path}: no ${name}`);
  return t;
}

describe.each(['qwen2_5_vl', 'qwen3_vl'])('Qwen-VL parity %s', (family) => {
  const dir = join(FIXTURE, family), ref = join(dir, 'reference.safetensors');
  const be = new CpuBackend({ threads: 2 });
  const model = loadQwenVl(join(dir, 'model'), be);
  const { prompt, pixels } = readQwenVlInputs(join(dir, 'inputs.safetensors'), model.config.videoTokenId);
  const refLogits = read(ref, 'logits').data as Float32Array;

  it('M-RoPE positions equal the position_ids HF gave its language model', () => {
    const hf = read(ref, 'position_ids');
    const T = prompt.ids.length;
    expect(hf.shape).toEqual([3, T]);
    const { positions } = model.positions(prompt);
    const streams = [positions.t, positions.h, positions.w];
    for (let s = 0; s < 3; s++) expect(Array.from(streams[s])).toEqual(Array.from(hf.data.subarray(s * T, (s + 1) * T), Number));
  });

  it('language model on HF\'s video embeddings (and DeepStack) matches the logits (< 1e-4 of the max)', () => {
    const emb = read(ref, 'video_embeds');
    const D = model.config.text.hiddenSize;
    const features = be.fromHost(emb.data as Float32Array, emb.shape);
    let deepstack;
    if (family === 'qwen3_vl') {
      const ds = read(ref, 'deepstack_embeds');
      const [L, N] = ds.shape, all = ds.data as Float32Array;
      deepstack = Array.from({ length: L }, (_, l) => be.fromHost(all.subarray(l * N * D, (l + 1) * N * D), [N, D]));
      expect(L).toBe(2);
    }
    const got = model.logits(prompt, { features, deepstack });
    expect(got.length).toBe(refLogits.length);
    expect(relError(got, refLogits)).toBeLessThan(1e-4);
  });

  it('sparsevila logits --backend cpu (vision tower included) matches transformers', async () => {
    expect(pixels).not.toBeNull();
    const out = join(tmp, `${family}.safetensors`);
    const rc = await main(['logits', '--model', join(dir, 'model'), '--inputs', join(dir, 'inputs.safetensors'), '--out', out, '--backend', 'cpu']);
    expect(rc).toBe(0);
    const got = read(out, 'logits');
    expect(got.shape).toEqual([1, prompt.ids.length, model.config.text.vocabSize]);
    expect(relError(got.data as Float32Array, refLogits)).toBeLessThan(1e-4);
  });
});
