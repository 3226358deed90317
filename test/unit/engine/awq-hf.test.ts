// HF proof for 4-bit checkpoints: `sparsevila logits --backend cpu` on the committed AutoAWQ-layout fixture (a random
// LLaVA-OneVision quantized and packed in Python from the layout's definition, scripts/gpu/awq_hf_fixture.py, with
// one decoder linear kept 16-bit by modules_to_not_convert) matches transformers' fp32 eager forward on the
// dequantized weights.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../engine/cli/main.ts';
import { SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { loadModel } from '../../../engine/core/models/load-model.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/awq');
const tmp = mkdtempSync(join(tmpdir(), 'awq-hf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readF32(path: string, name: string): { data: Float32Array; shape: number[] } {
  const f = new SafetensorsFile(path);
  try {
    return { data: new Float32Array(f.readBytes(name).buffer), shape: f.tensors.get(name)!.shape };
  } finally {
    f.close();
  }
}

function relError(got: Float32Array, ref: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) { d = Math.max(d, Math.abs(got[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
  return d / m;
}

async function logits(modelDir: string): Promise<{ data: Float32Array; shape: number[] }> {
  const out = join(tmp, `logits-${Math.random().toString(36).slice(2)}.safetensors`);
  const rc = await main(['logits', '--model', modelDir, '--inputs', join(FIXTURE, 'inputs.safetensors'), '--out', out, '--backend', 'cpu']);
  expect(rc).toBe(0);
  return readF32(out, 'logits');
}

describe('AutoAWQ checkpoint made by Python (transformers fp32 on the dequantized weights)', () => {
  const ref = () => readF32(join(FIXTURE, 'reference.safetensors'), 'logits');

  it('sparsevila logits --backend cpu matches HF within 1e-4 of the largest logit', async () => {
    const got = await logits(join(FIXTURE, 'model'));
    expect(got.shape).toEqual(ref().shape);
    expect(relError(got.data, ref().data)).toBeLessThan(1e-4);
  });

  it('is far from the unquantized model\'s logits (the 4-bit weights are what is compared)', () => {
    const unq = readF32(join(FIXTURE, 'reference.safetensors'), 'logits_unquantized');
    expect(relError(unq.data, ref().data)).toBeGreaterThan(1e-2);
  });

  it('needs its modules_to_not_convert entry: without it the 16-bit decoder linear is refused', async () => {
    const dir = join(tmp, 'no-keep');
    cpSync(join(FIXTURE, 'model'), dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    cfg.quantization_config.modules_to_not_convert = [];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    await expect(loadModel(dir, { backend: 'cpu' })).rejects.toThrow(/missing tensor "language_model\.layers\.1\.mlp\.down_proj\.qweight"/);
  });
});
