// Loading 4-bit AutoAWQ checkpoints (issue 13 part 1): a folder written here (make-checkpoint --weights awq4, packed by
// awq-layout.ts) gives the logits of the same model with the f32 dequantized weights; quantization_config is validated,
// modules_to_not_convert respected, and malformed 4-bit tensors are refused with the tensor named.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshCheckpoints } from './fresh-checkpoints.ts';
import { dequantizedFolder } from './quantize/dequantized-folder.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { SafetensorsFile, writeSafetensors, type StDType, type TensorToWrite } from '../../../engine/core/checkpoint/safetensors.ts';
import { dequantizeAwqPacked } from '../../../engine/core/checkpoint/awq-layout.ts';
import { loadModel, weightBytes } from '../../../engine/core/models/load-model.ts';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { parseConfig } from '../../../engine/core/models/llava-onevision-config.ts';
import { presetConfig } from '../../../engine/core/models/presets.ts';
import { describeModelFolder } from '../../../engine/service/models/model-folder.ts';
import { randomAwq } from '../../../engine/core/models/synthetic.ts';

const { fresh } = freshCheckpoints('awq-load-');
type Json = Record<string, any>;
const KEEP = 'model.language_model.layers.1.mlp';
const awqFolder = (keepModules = [KEEP]) => fresh({ preset: 'tiny', seed: 3, weights: 'awq4', keepModules, std: 0.08 });

function editConfig(d: string, edit: (j: Json) => void): void {
  const f = join(d, 'config.json');
  const j = JSON.parse(readFileSync(f, 'utf8'));
  edit(j);
  writeFileSync(f, JSON.stringify(j));
}

/** Rewrites model.safetensors through `edit` (tensors by their stored name). */
function editTensors(d: string, edit: (t: Record<string, TensorToWrite>) => void): void {
  const path = join(d, 'model.safetensors');
  const f = new SafetensorsFile(path);
  const t: Record<string, TensorToWrite> = {};
  for (const info of f.tensors.values()) t[info.name] = { dtype: info.dtype as StDType, shape: info.shape, data: f.readBytes(info.name) };
  f.close();
  edit(t);
  writeSafetensors(path, t);
}

function relError(got: Float32Array, ref: Float32Array): number {
  let e = 0, m = 0;
  for (let i = 0; i < ref.length; i++) { e = Math.max(e, Math.abs(got[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
  return e / m;
}

const IDS = Int32Array.from([5, 17, 3, 40, 22, 9, 31, 12]);

describe('4-bit AutoAWQ checkpoints', () => {
  it('give the logits of the f32 dequantized model (MatMulNBits, < 1e-5 relative), the kept module in 16 bits', async () => {
    const dir = awqFolder();
    const st = new SafetensorsFile(join(dir, 'model.safetensors'));
    const names = [...st.tensors.keys()];
    st.close();
    expect(names).toContain('language_model.model.layers.0.mlp.down_proj.qweight');
    expect(names).toContain('language_model.model.layers.1.mlp.down_proj.weight');
    expect(names).not.toContain('language_model.model.layers.1.mlp.down_proj.qweight');
    const q = await loadModel(dir, { backend: 'cpu', threads: 1 });
    dequantizedFolder(dir, `${dir}-f32`); // the same model with the f32 dequantized weights, no quantization_config
    const f = await loadModel(`${dir}-f32`, { backend: 'cpu', threads: 1 });
    const a = q.model.logits(IDS, null, 0), b = f.model.logits(IDS, null, 0);
    expect(relError(a, b)).toBeLessThan(1e-5);
    // The check can fail: another 4-bit model (other seed) is far off.
    const other = await loadModel(fresh({ preset: 'tiny', seed: 4, weights: 'awq4', keepModules: [KEEP], std: 0.08 }), { backend: 'cpu', threads: 1 });
    expect(relError(other.model.logits(IDS, null, 0), b)).toBeGreaterThan(1e-2);
  });

  it('pass the folder checks (config bounds, model manager) and accept quantization_config inside text_config', () => {
    const dir = awqFolder();
    editConfig(dir, (c) => { c.text_config.quantization_config = c.quantization_config; delete c.quantization_config; });
    const ck = loadCheckpoint(dir);
    expect(ck.quant).toEqual({ groupSize: 32, modulesToNotConvert: [KEEP] });
    ck.weights.close();
    expect(describeModelFolder(dir, 'local').config.text.hiddenSize).toBe(32);
  });

  it('refuse quantization settings other than AWQ 4-bit gemm with zero points, saying what is supported', () => {
    const cases: [string, (q: Json) => void, RegExp][] = [
      ['gptq', (q) => { q.quant_method = 'gptq'; }, /quantization_config\.quant_method is "gptq"; only AWQ checkpoints are supported \(supported: /],
      ['8-bit', (q) => { q.bits = 8; }, /quantization_config\.bits is 8; only 4-bit/],
      ['gemv', (q) => { q.version = 'gemv'; }, /quantization_config\.version is "gemv"; only the AutoAWQ "gemm" layout/],
      ['symmetric', (q) => { q.zero_point = false; }, /quantization_config\.zero_point is false/],
      ['group 0', (q) => { q.group_size = 0; }, /quantization_config\.group_size is 0; it must be a positive whole number/],
      ['skip list', (q) => { q.modules_to_not_convert = 'vision_tower'; }, /modules_to_not_convert must be a list of module names/],
    ];
    for (const [what, edit, re] of cases) {
      const d = awqFolder();
      editConfig(d, (c) => edit(c.quantization_config));
      expect(() => loadCheckpoint(d), what).toThrow(re);
    }
  });

  it('refuse malformed 4-bit tensors, naming the tensor', async () => {
    const L0 = 'language_model.model.layers.0.self_attn.q_proj';
    const cases: [string, (d: string) => void, RegExp][] = [
      ['group size does not divide', (d) => editConfig(d, (c) => { c.quantization_config.group_size = 24; }),
        /language_model\.layers\.0\.self_attn\.q_proj\.qweight: group size 24 does not divide the 32 input features/],
      ['missing scales', (d) => editTensors(d, (t) => { delete t[`${L0}.scales`]; }), /q_proj\.scales: missing/],
      ['qzeros wrong shape', (d) => editTensors(d, (t) => { t[`${L0}.qzeros`] = { dtype: 'I32', shape: [2, 4], data: new Int32Array(8) }; }),
        /q_proj\.qzeros: shape \[2,4\], expected \[1,4\]/],
      ['qweight not I32', (d) => editTensors(d, (t) => { t[`${L0}.qweight`].dtype = 'F32'; }),
        new RegExp(`tensor "${L0}\\.qweight" has dtype F32; a 4-bit AWQ qweight must be I32`)],
      ['scales not F16', (d) => editTensors(d, (t) => { t[`${L0}.scales`].dtype = 'BF16'; }), /q_proj\.scales" has dtype BF16; a 4-bit AWQ scales must be F16/],
      ['4-bit tensors without quantization_config', (d) => editConfig(d, (c) => { delete c.quantization_config; }),
        /qweight" is a 4-bit weight but config\.json has no quantization_config/],
      ['listed module stored 4-bit', (d) => editConfig(d, (c) => { c.quantization_config.modules_to_not_convert = [KEEP, 'model.language_model.layers.0.self_attn.q_proj']; }),
        /q_proj\.qweight" is stored in 4 bits but quantization_config\.modules_to_not_convert keeps module/],
      ['16-bit decoder linear not listed', (d) => editConfig(d, (c) => { c.quantization_config.modules_to_not_convert = []; }),
        /missing tensor "language_model\.layers\.1\.mlp\.gate_proj\.qweight".*list "language_model\.layers\.1\.mlp\.gate_proj" in modules_to_not_convert/],
    ];
    for (const [what, edit, re] of cases) {
      const d = awqFolder();
      edit(d);
      await expect(loadModel(d, { backend: 'cpu', threads: 1 }), what).rejects.toThrow(re);
    }
  });

  it('match modules_to_not_convert as transformers does: a prefix regex, a suffix, or the file\'s name', async () => {
    for (const keep of ['language_model.model.layers.1.mlp', 'model.language_model.layers.1.mlp.*', 'layers.1.mlp.gate_proj', 'mlp']) {
      const d = awqFolder([KEEP]);
      editConfig(d, (c) => { c.quantization_config.modules_to_not_convert = [keep]; });
      const load = loadModel(d, { backend: 'cpu', threads: 1 });
      if (keep === 'layers.1.mlp.gate_proj') await expect(load, keep).rejects.toThrow(/up_proj\.qweight/); // a suffix of gate_proj only
      else if (keep === 'mlp') await expect(load, keep).rejects.toThrow(/missing tensor "language_model\.layers\.1\.mlp\.gate_proj\.qweight"/); // names no module
      else await expect(load, keep).resolves.toBeTruthy();
    }
  });
});

describe('synthetic 4-bit weights (bench --weights awq4)', () => {
  it('make the decoder linears random AWQ layers of about the asked standard deviation, fast enough for 7B', () => {
    const t0 = performance.now();
    const p = randomAwq(18944, 3584, 128, 1); // one 7B MLP projection
    expect(performance.now() - t0).toBeLessThan(5000); // ~0.1 s idle; a loaded CI machine is slower
    const w = dequantizeAwqPacked(randomAwq(256, 512, 128, 2, 0.02));
    let ss = 0;
    for (const v of w) ss += v * v;
    expect(Math.sqrt(ss / w.length)).toBeGreaterThan(0.015);
    expect(Math.sqrt(ss / w.length)).toBeLessThan(0.025);
    expect(p.qweight.length).toBe(3584 * 18944 / 8);
  });

  it('load on the CPU backend and run (the 0.5b-style synthetic model in miniature)', async () => {
    const m = await loadModel('', { backend: 'cpu', synthetic: 'small', syntheticBits: 4, threads: 1 });
    expect(m.name).toBe('synthetic-small-awq4');
    const f = await loadModel('', { backend: 'cpu', synthetic: 'small', threads: 1 });
    const a = m.model.logits(IDS, null, 0), b = f.model.logits(IDS, null, 0);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(relError(a, b)).toBeGreaterThan(1e-3); // different (4-bit) weights
  });
});

it('the CPU memory check counts 4-bit decoder linears at about half a byte per weight (a 7B AWQ model fits in 16 GB)', () => {
  const cfg = parseConfig(presetConfig('7b')), be = new CpuBackend({ threads: 1 });
  const f32 = weightBytes(cfg, be), q4 = weightBytes(cfg, be, 128);
  const t = cfg.text, linears = t.layers * t.hiddenSize * (2 * t.heads * t.headDim + 2 * t.kvHeads * t.headDim + 3 * t.intermediateSize);
  expect(f32 - q4).toBeCloseTo(linears * (4 - 0.5 - 4.5 / 128), -3);
  expect(q4 / 2 ** 30).toBeLessThan(10);
});
