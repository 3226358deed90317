// Model folders: random checkpoints in the HF layout load (single, sharded, bf16, hub layout), and bad folders give
// clear errors.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { freshCheckpoints } from './fresh-checkpoints.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { parseConfig } from '../../../engine/core/models/llava-onevision-config.ts';
import { writeSafetensors, SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { canonicalName } from '../../../engine/core/checkpoint/weights.ts';
import { loadModel } from '../../../engine/core/models/load-model.ts';
import { presetConfig } from '../../../engine/core/models/presets.ts';

const { tmp, fresh } = freshCheckpoints('ck-');

function logitsOf(m: Awaited<ReturnType<typeof loadModel>>): Float32Array {
  const ids = Int32Array.from([1, 2, 3, 4, 5]);
  return m.model.logits(ids, null, 0);
}

describe('checkpoint loading', () => {
  it('single, sharded, bf16 and hub-layout copies of one model load; f32 layouts give identical logits', async () => {
    const a = await loadModel(fresh({ preset: 'tiny', seed: 7 }), { backend: 'cpu' });
    const b = await loadModel(fresh({ preset: 'tiny', seed: 7, shards: 3 }), { backend: 'cpu' });
    const c = await loadModel(fresh({ preset: 'tiny', seed: 7, hubLayout: true }), { backend: 'cpu' });
    const d = await loadModel(fresh({ preset: 'tiny', seed: 7, dtype: 'bf16' }), { backend: 'cpu' });
    const la = logitsOf(a);
    expect(logitsOf(b)).toEqual(la);
    expect(logitsOf(c)).toEqual(la);
    const ld = logitsOf(d);
    let diff = 0;
    for (let i = 0; i < la.length; i++) diff = Math.max(diff, Math.abs(la[i] - ld[i]));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.05);
    expect(a.tokenizer).not.toBeNull();
    expect(a.generation.eosTokenIds.length).toBeGreaterThan(0);
    expect(a.preprocessor).toMatchObject({ size: { height: 32, width: 32 } });
  });

  it('the sharded folder has an index and several shards', () => {
    const d = fresh({ preset: 'small', shards: 2 });
    const index = JSON.parse(readFileSync(join(d, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    expect(loadCheckpoint(d).config.text.tieWordEmbeddings).toBe(true);
  });

  it('maps every known tensor layout to one canonical name', () => {
    const want = 'vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight';
    expect(canonicalName('vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight')).toBe(want);
    expect(canonicalName('vision_tower.encoder.layers.0.mlp.fc1.weight')).toBe(want);
    expect(canonicalName('model.vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight')).toBe(want);
    expect(canonicalName('language_model.model.norm.weight')).toBe('language_model.norm.weight');
    expect(canonicalName('model.language_model.norm.weight')).toBe('language_model.norm.weight');
    expect(canonicalName('language_model.lm_head.weight')).toBe('lm_head.weight');
    expect(canonicalName('model.image_newline')).toBe('image_newline');
  });

  it('missing folder / config.json / weights give clear errors', () => {
    expect(() => loadCheckpoint(join(tmp, 'nope'))).toThrow(/not a model folder/);
    const d = fresh();
    unlinkSync(join(d, 'config.json'));
    expect(() => loadCheckpoint(d)).toThrow(/config.json is missing/);
    const e = fresh();
    unlinkSync(join(e, 'model.safetensors'));
    expect(() => loadCheckpoint(e)).toThrow(/no model.safetensors/);
  });

  it('a shard listed in the index but absent is reported', () => {
    const d = fresh({ shards: 2 });
    unlinkSync(join(d, 'model-00002-of-00002.safetensors'));
    expect(() => loadCheckpoint(d)).toThrow(/lists shard "model-00002-of-00002.safetensors"/);
  });

  it('broken config.json and unsupported architectures are reported', () => {
    const d = fresh();
    writeFileSync(join(d, 'config.json'), '{"model_type": "llava_onevision",');
    expect(() => loadCheckpoint(d)).toThrow(/config.json: not valid JSON/);
    expect(() => parseConfig({ model_type: 'llama' })).toThrow(/model_type "llama" is not supported/);
    expect(() => parseConfig({ model_type: 'llava_onevision', text_config: { rope_scaling: { rope_type: 'yarn' } } })).toThrow(/yarn/);
    expect(() => parseConfig({ model_type: 'llava_onevision', vision_feature_layer: 99 })).toThrow(/out of range/);
  });

  it('reads rope_theta from both the old and the rope_parameters forms', () => {
    const base = presetConfig('tiny') as { text_config: Record<string, unknown> };
    const old = { ...base, text_config: { ...base.text_config, rope_theta: 5000 } };
    delete (old.text_config as Record<string, unknown>).rope_parameters;
    expect(parseConfig(old).text.ropeTheta).toBe(5000);
    const neu = { ...base, text_config: { ...base.text_config, rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 123456 } } };
    expect(parseConfig(neu).text.ropeTheta).toBe(123456);
    expect(parseConfig({ model_type: 'llava_onevision' }).text.ropeTheta).toBe(10000);
  });

  it('a tensor whose shape disagrees with config.json is reported', async () => {
    const d = fresh();
    const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    cfg.text_config.intermediate_size = 80;
    writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
    await expect(loadModel(d, { backend: 'cpu' })).rejects.toThrow(/has shape \[64,32\] but config.json implies \[80,32\]/);
  });

  it('a missing tensor and a non-float weight are reported', async () => {
    const d = fresh();
    const f = new SafetensorsFile(join(d, 'model.safetensors'));
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const [name, info] of f.tensors) {
      if (name.endsWith('layers.1.mlp.up_proj.weight')) continue;
      tensors[name] = { dtype: info.dtype, shape: info.shape, data: f.readBytes(name) };
    }
    f.close();
    const bad = join(tmp, 'missing');
    makeCheckpoint(bad, {});
    writeSafetensors(join(bad, 'model.safetensors'), tensors);
    await expect(loadModel(bad, { backend: 'cpu' })).rejects.toThrow(/missing tensor "language_model.layers.1.mlp.up_proj.weight"/);
    const key = 'image_newline';
    tensors['language_model.model.layers.1.mlp.up_proj.weight'] = { dtype: 'F32', shape: [64, 32], data: new Float32Array(64 * 32) };
    tensors[key] = { dtype: 'I32', shape: [32], data: new Int32Array(32) };
    writeSafetensors(join(bad, 'model.safetensors'), tensors);
    await expect(loadModel(bad, { backend: 'cpu' })).rejects.toThrow(/dtype I32; weights must be F32, F16 or BF16/);
  });

  it('a truncated safetensors file is reported', async () => {
    const d = fresh();
    const p = join(d, 'model.safetensors');
    const buf = readFileSync(p);
    writeFileSync(p, buf.subarray(0, buf.length - 100));
    await expect(loadModel(d, { backend: 'cpu' })).rejects.toThrow(/out of range/);
  });
});
