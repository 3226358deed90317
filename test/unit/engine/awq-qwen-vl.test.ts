// A 4-bit AutoAWQ Qwen-VL folder (the layout of Qwen/Qwen2.5-VL-7B-Instruct-AWQ: the language model's decoder linears
// as qweight / qzeros / scales, modules_to_not_convert ["model.visual"]) made from the Qwen3-VL HF fixture: `sparsevila
// logits --backend cpu` gives the logits of the same folder with its f32 dequantized weights.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { main } from '../../../engine/cli/main.ts';
import { packAwq } from '../../../engine/core/checkpoint/awq-layout.ts';
import { SafetensorsFile, writeSafetensors, type StDType, type TensorToWrite } from '../../../engine/core/checkpoint/safetensors.ts';
import { quantizeGroups } from '../../../engine/core/quantize/group-quant.ts';
import { dequantizedFolder } from './quantize/dequantized-folder.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/qwen-vl/qwen3_vl');
const tmp = mkdtempSync(join(tmpdir(), 'awq-qwen-vl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const GROUP = 32;

/** The fixture's model with its decoder linears quantized to 4 bits (round to nearest) in the AutoAWQ layout. */
function awqCopy(dir: string): number {
  cpSync(join(FIXTURE, 'model'), dir, { recursive: true });
  const path = join(dir, 'model.safetensors'), f = new SafetensorsFile(path);
  const t: Record<string, TensorToWrite> = {};
  let quantized = 0;
  for (const info of f.tensors.values()) {
    const bytes = f.readBytes(info.name);
    const m = /^(.*language_model\.layers\.\d+\.[a-z_]+\.[a-z]+_proj)\.weight$/.exec(info.name);
    if (!m || info.dtype !== 'F32') { t[info.name] = { dtype: info.dtype as StDType, shape: info.shape, data: bytes }; continue; }
    const [out, inF] = info.shape;
    const p = packAwq(quantizeGroups({ data: new Float32Array(bytes.buffer), out, in: inF }, GROUP));
    t[`${m[1]}.qweight`] = { dtype: 'I32', shape: [inF, out / 8], data: p.qweight };
    t[`${m[1]}.qzeros`] = { dtype: 'I32', shape: [inF / GROUP, out / 8], data: p.qzeros };
    t[`${m[1]}.scales`] = { dtype: 'F16', shape: [inF / GROUP, out], data: p.scales };
    quantized++;
  }
  f.close();
  writeSafetensors(path, t);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.quantization_config = { quant_method: 'awq', bits: 4, group_size: GROUP, zero_point: true, version: 'gemm', modules_to_not_convert: ['model.visual'] };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return quantized;
}

async function logits(model: string): Promise<Float32Array> {
  const out = join(tmp, `${Math.random().toString(36).slice(2)}.safetensors`);
  expect(await main(['logits', '--model', model, '--inputs', join(FIXTURE, 'inputs.safetensors'), '--out', out, '--backend', 'cpu'])).toBe(0);
  const f = new SafetensorsFile(out);
  try { return new Float32Array(f.readBytes('logits').buffer); } finally { f.close(); }
}

function relError(got: Float32Array, ref: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) { d = Math.max(d, Math.abs(got[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
  return d / m;
}

it('a 4-bit Qwen-VL folder gives the logits of its f32 dequantized weights (< 1e-5), not the 16-bit model\'s', async () => {
  const awq = join(tmp, 'awq'), f32 = join(tmp, 'awq-f32');
  expect(awqCopy(awq)).toBeGreaterThan(0);
  dequantizedFolder(awq, f32);
  const [a, b, orig] = [await logits(awq), await logits(f32), await logits(join(FIXTURE, 'model'))];
  expect(relError(a, b)).toBeLessThan(1e-5);
  expect(relError(a, orig)).toBeGreaterThan(1e-3);
});
